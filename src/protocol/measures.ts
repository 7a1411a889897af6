/**
 * The few measures and thresholds that both the engine and the panels use, written once so the two
 * can never disagree (docs/ANALYSES.md defines them).
 */

/** ε: a head whose sinkScore exceeds it counts as a sink (Gu et al.; the sinkLens.epsilon default). */
export const DEFAULT_EPSILON = 0.3;

/** p0NormRatio at or above this counts as a formed high-norm P0 state. */
export const FORMATION_RATIO = 2;

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** values[0] / median over t >= 1 of values[t]: P0 against the other positions; null below two positions. */
export function p0NormRatio(values: ArrayLike<number>): number | null {
  if (values.length < 2) return null;
  return values[0] / median(Array.prototype.slice.call(values, 1));
}
