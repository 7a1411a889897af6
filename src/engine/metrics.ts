/**
 * The quantities of docs/ANALYSES.md, as pure functions of probe outputs. Each function's name is
 * the quantity's name there; keep the two in step. p0NormRatio, median and the thresholds the panels
 * use too live in src/protocol/measures.ts.
 */
import { FORMATION_RATIO } from '../protocol/measures';
import type { CircuitVerdict, ConcentrationNullReason, MassiveActivation } from '../protocol/report';

const MASSIVE_MAGNITUDE = 100;
const MASSIVE_OVER_MEDIAN = 1000;

/** Mean over t >= 1 of cos(h[0], h[t]), from the cosines of every position to P0; null below two tokens. */
export function p0Separation(cosineToP0: ArrayLike<number>): number | null {
  if (cosineToP0.length < 2) return null;
  let sum = 0;
  for (let t = 1; t < cosineToP0.length; t++) sum += cosineToP0[t];
  return sum / (cosineToP0.length - 1);
}

/** (1/T) Σ_q A[q, 0] for each head; `firstToken` is [heads][T]. */
export function sinkScores(firstToken: number[][]): number[] {
  return firstToken.map((row) => row.reduce((sum, value) => sum + value, 0) / row.length);
}

/** What a head that spreads attention evenly over its causal window pays to P0: (1/T) Σ_q 1/(q+1). */
export function uniformBaseline(tokens: number): number {
  let sum = 0;
  for (let q = 0; q < tokens; q++) sum += 1 / (q + 1);
  return sum / tokens;
}

/** Fraction of (layer, head) pairs with layer >= fromLayer whose sinkScore exceeds epsilon; null when no layer qualifies. */
export function sinkRate(sinkScore: number[][], epsilon: number, fromLayer: number): number | null {
  const scores = sinkScore.slice(fromLayer).flat();
  if (scores.length === 0) return null;
  return scores.filter((score) => score > epsilon).length / scores.length;
}

/** The lower of the two middle values for an even count, as torch.median (and Sun et al.'s statistic) takes it. */
export function lowerMedian(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[(sorted.length - 1) >> 1];
}

/**
 * The top-3 magnitudes of one hidden vector and whether they are massive (Sun et al.): the largest
 * is > 100 and >= 1000 x `layerMedian`, the median magnitude of the whole layer output it comes from.
 */
export function massiveActivation(vector: ArrayLike<number>, depth: number, position: number, layerMedian: number): MassiveActivation {
  const magnitudes = Float64Array.from(vector, Math.abs);
  const order = Array.from(magnitudes.keys()).sort((a, b) => magnitudes[b] - magnitudes[a]);
  const top = order.slice(0, 3).map((dim) => ({ dim, value: vector[dim] }));
  const largest = magnitudes[order[0]] ?? 0;
  const massive = largest > MASSIVE_MAGNITUDE && largest >= MASSIVE_OVER_MEDIAN * layerMedian;
  return { depth, position, top, median: layerMedian, rowMedian: lowerMedian(magnitudes), massive };
}

/**
 * The P0 Sink Circuit verdict. `ratios[i]` is p0NormRatio at `depths[i]`; `sinkScore` is [layer][head].
 */
export function circuitVerdict(depths: number[], ratios: (number | null)[], sinkScore: number[][], epsilon: number, baseline: number): CircuitVerdict {
  const layers = sinkScore.length;
  const formed = (i: number) => (ratios[i] ?? 0) >= FORMATION_RATIO;
  let formationDepth: number | null = null;
  for (let i = 0; i < depths.length && formationDepth === null; i++) {
    const holds = formed(i) && depths.every((depth, j) => j <= i || depth > layers - 1 || formed(j));
    if (holds) formationDepth = depths[i];
  }
  const meanScores = sinkScore.map((heads) => heads.reduce((a, b) => a + b, 0) / heads.length);
  const onset = meanScores.findIndex((score) => score > epsilon && score > 2 * baseline);
  return {
    formationDepth,
    sinkOnsetLayer: onset === -1 ? null : onset,
    withinTwoBlocks: formationDepth !== null && formationDepth <= 2,
    ...concentration(depths, ratios, formationDepth),
  };
}

/** Why `concentration` is null, in words (docs/ANALYSES.md). */
/**
 * Share of P0's log-norm-ratio growth that happens in the first two blocks: (log R[2] − log R[0]) /
 * (max log R − log R[0]). Null, with the reason, where there is no growth to share.
 */
export function concentration(depths: number[], ratios: (number | null)[], formationDepth: number | null): { concentration: number | null; concentrationNullReason: ConcentrationNullReason | null } {
  const none = (reason: ConcentrationNullReason) => ({ concentration: null, concentrationNullReason: reason });
  if (formationDepth === null) return none('no-formation');
  const at = (depth: number) => ratios[depths.indexOf(depth)];
  const r0 = at(0);
  const r2 = at(2);
  if (r2 == null || r0 == null || r0 <= 0 || r2 <= 0) return none('no-depth-2');
  const logs = ratios.filter((ratio): ratio is number => ratio != null && ratio > 0).map(Math.log);
  const growth = Math.max(...logs) - Math.log(r0);
  if (!(growth > 0)) return none('no-growth');
  return { concentration: (Math.log(r2) - Math.log(r0)) / growth, concentrationNullReason: null };
}
