/**
 * A run as it streams to the panel, and the functions that split a SinkReport into those parts and
 * join them back: the worker sends the first paint early, the host still persists one whole report.
 *
 *   RunSummary (tokens, norms, sink scores, verdict) → one RunLayer per layer → RunReceived per
 *   layer (attention each position receives) → end.
 *
 * Bulk numbers travel as Float32Array (structured clone keeps them binary). Full [heads][query][key]
 * attention maps are sent only when the user opens a layer (AttentionMapPayload). Pure functions:
 * used by the worker, the host, the exported HTML page and tests.
 */
import { median, p0NormRatio } from './measures';
import {
  REPORT_SCHEMA,
  type CircuitVerdict,
  type MassiveActivation,
  type ModelSummary,
  type PromptSummary,
  type ReportToken,
  type ReportWarning,
  type RuntimeSummary,
  type SinkReport,
} from './report';
import { describeVerdict, type VerdictText } from './verdict';

/** Everything the first paint needs: small, or one typed array per depth. */
export interface RunSummary {
  runId: string;
  model: ModelSummary;
  runtime: RuntimeSummary;
  prompt: PromptSummary;
  tokens: ReportToken[];
  depths: number[];
  /** norms[i] has T values: the residual-stream L2 norm at depths[i] for each position. */
  norms: Float32Array[];
  p0NormRatio: (number | null)[];
  p0Separation: (number | null)[];
  /** [layer][head] */
  sinkScore: number[][];
  uniformBaseline: number;
  sinkRate: { epsilon: number; all: number; fromLayer2: number | null };
  circuit: CircuitVerdict;
  /** The verdict in words (src/protocol/verdict.ts), as the CLI prints it. */
  verdict: VerdictText;
  massiveActivations: MassiveActivation[];
  warnings: ReportWarning[];
  /** Top-level report fields this protocol does not know (reports may add fields): passed through. */
  extras: Record<string, unknown>;
}

/** Position 0's MLP activation norm against the other positions' median (docs/ANALYSES.md, mlpActivation). */
export interface MlpAtP0 {
  norm: number;
  /** null with a single position. */
  othersMedian: number | null;
  /** norm / othersMedian, as p0NormRatio is for the hidden state; null with a single position. */
  ratio: number | null;
}

/** One layer's per-position data. */
export interface RunLayer {
  runId: string;
  layer: number;
  /** [head] → T values: attention each query pays to position 0. */
  firstTokenAttention: Float32Array[];
  /** T values, or null when the report has no MLP data for this layer. */
  mlpNorms: Float32Array | null;
  /** From mlpNorms; null with them, and where the graph computes no MLP value at position 0 (a sliced block). */
  mlpAtP0: MlpAtP0 | null;
}

/**
 * How much attention each position receives in one layer: for key k, (1/T) Σ_q A[l,h,q,k] averaged
 * over heads (Gu et al.'s sink score, generalised from k = 0 to every key): the report's
 * attention.received, reduced inside the analysis's own run, so only T numbers per layer cross.
 */
export interface RunReceived {
  runId: string;
  layer: number;
  received: Float32Array;
}

/**
 * One head's (or the head mean's) [query][key] attention map. One head at a time keeps a
 * 2048-token map at 16 MB on the wire instead of heads x 16 MB.
 */
export interface AttentionMapPayload {
  runId: string;
  layer: number;
  /** -1 = mean over heads. */
  head: number;
  heads: number;
  tokens: number;
  /** Row-major [query][key]. */
  data: Float32Array;
}

const CARRIED = new Set(['schema', 'model', 'runtime', 'prompt', 'tokens', 'residual', 'attention', 'massiveActivations', 'mlp', 'circuit', 'warnings']);

export function toRunSummary(runId: string, report: SinkReport): RunSummary {
  const extras = Object.fromEntries(Object.entries(report).filter(([key]) => !CARRIED.has(key)));
  return {
    runId,
    model: report.model,
    runtime: report.runtime,
    prompt: report.prompt,
    tokens: report.tokens,
    depths: report.residual.depths,
    norms: report.residual.norms.map(toTyped),
    p0NormRatio: report.residual.p0NormRatio,
    p0Separation: report.residual.p0Separation ?? [],
    sinkScore: report.attention.sinkScore,
    uniformBaseline: report.attention.uniformBaseline,
    sinkRate: report.attention.sinkRate,
    circuit: report.circuit,
    verdict: describeVerdict(report),
    massiveActivations: report.massiveActivations,
    warnings: report.warnings,
    extras,
  };
}

export function toRunLayers(runId: string, report: SinkReport): RunLayer[] {
  const mlpByLayer = new Map(report.mlp.layers.map((entry) => [entry.layer, entry.norms]));
  return report.attention.firstTokenAttention.map((heads, layer) => {
    const mlp = mlpByLayer.get(layer);
    return {
      runId,
      layer,
      firstTokenAttention: heads.map((row) => Float32Array.from(row)),
      mlpNorms: mlp ? toTyped(mlp) : null,
      mlpAtP0: mlp && mlp[0] !== null ? mlpAtP0(mlp.filter((value): value is number => value !== null)) : null,
    };
  });
}

/** One part per layer of the report's attention.received; none for a report written before it existed. */
export function toRunReceived(runId: string, report: SinkReport): RunReceived[] {
  return (report.attention.received ?? []).map((row, layer) => ({ runId, layer, received: Float32Array.from(row) }));
}

export function mlpAtP0(norms: ArrayLike<number>): MlpAtP0 {
  return { norm: norms[0], othersMedian: norms.length > 1 ? median(Array.prototype.slice.call(norms, 1)) : null, ratio: p0NormRatio(norms) };
}

/**
 * Rebuilds the report from its parts; layers may arrive in any order. `received[layer]`: the
 * attention received parts, kept in the report once every layer's has arrived.
 */
export function joinRunParts(summary: RunSummary, layers: RunLayer[], received: readonly (Float32Array | undefined)[] = []): SinkReport {
  const sorted = [...layers].sort((a, b) => a.layer - b.layer);
  const receivedRows = received.length === sorted.length && received.every((row) => row !== undefined) ? received.map((row) => Array.from(row!)) : undefined;
  return {
    ...summary.extras,
    schema: REPORT_SCHEMA,
    model: summary.model,
    runtime: summary.runtime,
    prompt: summary.prompt,
    tokens: summary.tokens,
    residual: {
      depths: summary.depths,
      norms: summary.norms.map(fromTyped),
      p0NormRatio: summary.p0NormRatio,
      p0Separation: summary.p0Separation,
    },
    attention: {
      firstTokenAttention: sorted.map((layer) => layer.firstTokenAttention.map((row) => Array.from(row))),
      ...(receivedRows ? { received: receivedRows } : {}),
      sinkScore: summary.sinkScore,
      uniformBaseline: summary.uniformBaseline,
      sinkRate: summary.sinkRate,
    },
    massiveActivations: summary.massiveActivations,
    mlp: {
      layers: sorted.filter((layer) => layer.mlpNorms).map((layer) => ({ layer: layer.layer, norms: fromTyped(layer.mlpNorms!) })),
    },
    circuit: summary.circuit,
    warnings: summary.warnings,
  };
}

/** Norms travel as float32 arrays: a position the graph does not compute (null in the report) is NaN there. */
function toTyped(row: (number | null)[]): Float32Array {
  return Float32Array.from(row, (value) => value ?? NaN);
}

function fromTyped(row: Float32Array): (number | null)[] {
  return Array.from(row, (value) => (Number.isNaN(value) ? null : value));
}

/** One head's [T][T] slice of [heads][T][T] (a view, no copy), or the mean over heads (-1). */
export function selectHead(data: Float32Array, heads: number, tokens: number, head: number): Float32Array {
  const size = tokens * tokens;
  if (head >= 0) return data.subarray(head * size, (head + 1) * size);
  const mean = new Float32Array(size);
  for (let h = 0; h < heads; h++) {
    const base = h * size;
    for (let i = 0; i < size; i++) mean[i] += data[base + i];
  }
  const scale = 1 / heads;
  for (let i = 0; i < size; i++) mean[i] *= scale;
  return mean;
}

/**
 * Attention received by each key in one layer, from its full maps: (1/T) Σ_q A[h,q,k], averaged
 * over heads. For k = 0 this is the layer's mean sinkScore.
 */
export function attentionReceived(data: Float32Array, heads: number, tokens: number): Float32Array {
  const received = new Float32Array(tokens);
  for (let h = 0; h < heads; h++) {
    const base = h * tokens * tokens;
    for (let q = 0; q < tokens; q++) {
      const row = base + q * tokens;
      for (let k = 0; k <= q; k++) received[k] += data[row + k];
    }
  }
  const scale = 1 / (heads * tokens);
  for (let k = 0; k < tokens; k++) received[k] *= scale;
  return received;
}
