/**
 * A finished run as it crosses each boundary ONCE: the worker sends the report, the host stores it
 * and passes the same object to the Sink Report webview, in one message each way. It is the
 * `sink-lens/report@1` document with its bulk numbers as Float32Array (structured clone and the
 * webview's postMessage keep them binary; a position the graph does not compute, null in the JSON
 * report, is NaN there; a layer with no MLP activation keeps null). The JSON report (docs/REPORT.md)
 * is written from it only where a file is exported. Full [heads][query][key] attention maps are sent
 * only when the user opens a layer (AttentionMapPayload). Pure functions: used by the worker, the
 * host, the exported HTML page and tests.
 */
import { median, p0NormRatio } from './measures';
import type { AttentionSection, ResidualSection, SinkReport } from './report';

/** The report with its per-position arrays typed; every other field as in SinkReport. */
export interface ReportArrays extends Omit<SinkReport, 'residual' | 'attention' | 'mlp'> {
  /** norms[depth] has T values (NaN where the graph does not compute that position). */
  residual: Omit<ResidualSection, 'norms'> & { norms: Float32Array[] };
  /** firstTokenAttention[layer][head], received[layer]: T values each. */
  attention: Omit<AttentionSection, 'firstTokenAttention' | 'received'> & { firstTokenAttention: Float32Array[][]; received?: Float32Array[] };
  /** norms null for a layer with no single MLP activation (mixture of experts). */
  mlp: { layers: { layer: number; norms: Float32Array | null }[] };
}

/** The analyze request's reply, stored by the host and shown by the panel. */
export interface RunReport {
  runId: string;
  report: ReportArrays;
}

/** Position 0's MLP activation norm against the other positions' median (docs/ANALYSES.md, mlpActivation). */
export interface MlpAtP0 {
  norm: number;
  /** null with a single position. */
  othersMedian: number | null;
  /** norm / othersMedian, as p0NormRatio is for the hidden state; null with a single position. */
  ratio: number | null;
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

/** The engine's report (or a stored JSON one) with its bulk arrays typed; rows already typed are kept, not copied. */
export function toReportArrays(report: SinkReport | ReportArrays): ReportArrays {
  return withRows(report, toFloat32) as ReportArrays;
}

/** The JSON report (docs/REPORT.md) of a run, for a file: NaN is written as null, as the engine writes it. */
export function toJsonReport(report: ReportArrays): SinkReport {
  return withRows(report, fromFloat32) as SinkReport;
}

type Row = ArrayLike<number | null>;

/** The report with each of its per-position rows (norms, attention to position 0, received, MLP norms) mapped by `row`. */
function withRows<T>(report: SinkReport | ReportArrays, row: (values: Row) => T) {
  const { residual, attention, mlp } = report;
  const { firstTokenAttention, received, ...scores } = attention;
  return {
    ...report,
    residual: { ...residual, norms: (residual.norms as Row[]).map(row) },
    attention: {
      ...scores,
      firstTokenAttention: (firstTokenAttention as Row[][]).map((heads) => heads.map(row)),
      ...(received ? { received: (received as Row[]).map(row) } : {}),
    },
    mlp: { layers: mlp.layers.map(({ layer, norms }: { layer: number; norms: Row | null }) => ({ layer, norms: norms ? row(norms) : null })) },
  };
}

/** A layer's MLP norms and P0 against the others; none where the graph computes no MLP value at position 0 (a sliced block). */
export function mlpLayers(report: ReportArrays): { layer: number; norms: Float32Array; atP0: MlpAtP0 }[] {
  return report.mlp.layers.flatMap(({ layer, norms }) => (norms && !Number.isNaN(norms[0]) ? [{ layer, norms, atP0: mlpAtP0(norms.filter((value) => !Number.isNaN(value))) }] : []));
}

export function mlpAtP0(norms: ArrayLike<number>): MlpAtP0 {
  return { norm: norms[0], othersMedian: norms.length > 1 ? median(Array.prototype.slice.call(norms, 1)) : null, ratio: p0NormRatio(norms) };
}

function toFloat32(row: Row): Float32Array {
  return row instanceof Float32Array ? row : Float32Array.from(row, (value) => value ?? NaN);
}

function fromFloat32(row: Row): (number | null)[] {
  return Array.from(row, (value) => (value === null || Number.isNaN(value) ? null : value));
}

/** Attention each token receives, averaged over layers (the shading of the panel and the editor); a layer absent (a layer choice beyond the model) is skipped. */
export function meanReceived(received: readonly (ArrayLike<number> | undefined)[], tokens: number): Float32Array {
  const mean = new Float32Array(tokens);
  let count = 0;
  for (const layer of received) {
    if (!layer) continue;
    count++;
    for (let t = 0; t < tokens; t++) mean[t] += layer[t];
  }
  if (count > 0) for (let t = 0; t < tokens; t++) mean[t] /= count;
  return mean;
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
