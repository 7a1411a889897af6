/** Measurements the in-host suite reports (never asserted: tests hold no timing assertions). */
export const metrics: Record<string, number | string> = {};
