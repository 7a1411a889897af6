/** How the panels write numbers: a dash for what is missing, percentages, ratios and changes. */

export const isNumber = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);

export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (!isNumber(value)) return '–';
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  return value.toFixed(digits);
}

export const percent = (value: number | null | undefined) => (isNumber(value) ? `${(value * 100).toFixed(1)} %` : '–');

export const times = (value: number | null | undefined) => (isNumber(value) ? `${value.toFixed(2)}×` : '–');

/** The largest finite value, or null when there is none. */
export function maxOf(values: readonly (number | null)[]): number | null {
  const present = values.filter(isNumber);
  return present.length ? Math.max(...present) : null;
}

/** " (+x)" / " (−x)" / " (±0)": the change from `base`, written with `format`; empty when either is missing. */
export function delta(value: number | null | undefined, base: number | null | undefined, format: (v: number) => string): string {
  if (!isNumber(value) || !isNumber(base)) return '';
  const d = value - base;
  if (Math.abs(d) < 5e-7) return ' (±0)';
  return ` (${d > 0 ? '+' : '−'}${format(Math.abs(d))})`;
}
