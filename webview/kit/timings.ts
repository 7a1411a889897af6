/**
 * Times the webview measures of itself, in the real panel: from an event (a run's first message,
 * a pointer move, a map's arrival) to the frame painted after it. Each is kept on the body as
 * data-timing-<name> (milliseconds, the latest), where the UI tests read and report them; nothing
 * asserts on them.
 */

/** Resolves once the browser has painted the frame that follows the work done so far. */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** Records `name` as the time from `since` (a performance.now() or an event's timeStamp) to the next painted frame. */
export function recordTiming(name: string, since: number): void {
  void afterPaint().then(() => recordNow(name, since));
}

/** Records `name` as the time from `since` to now: the script's own part, before the browser lays out and paints. */
export function recordNow(name: string, since: number): void {
  document.body.dataset[`timing${name[0].toUpperCase()}${name.slice(1)}`] = (performance.now() - since).toFixed(1);
}
