/**
 * Splits a SinkReport into the streamed parts of the protocol and joins them back, so that the
 * worker can send the first paint early and the host can still persist one whole report.
 * Pure functions: used by the worker, the host and tests.
 */
import { REPORT_SCHEMA, type SinkReport } from '../engine/report';
import type { RunLayer, RunSummary } from './protocol';

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
    };
  });
}

/** Rebuilds the report from its parts; layers may arrive in any order. */
export function joinRunParts(summary: RunSummary, layers: RunLayer[]): SinkReport {
  const sorted = [...layers].sort((a, b) => a.layer - b.layer);
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
