/** Turns probe outputs into the `sink-lens/report@1` document. */
import { p0NormRatio } from '../protocol/measures';
import { circuitVerdict, massiveActivation, p0Separation, sinkRate, sinkScores, uniformBaseline } from './metrics';
import type { ProbeResults } from './probeRun';
import { REPORT_SCHEMA, type ModelSummary, type PromptSummary, type ReportToken, type ReportWarning, type RuntimeSummary, type SinkReport } from '../protocol/report';

export interface ReportContext {
  model: ModelSummary;
  runtime: RuntimeSummary;
  prompt: PromptSummary;
  tokens: ReportToken[];
  epsilon: number;
  warnings: ReportWarning[];
}

export function buildReport(probes: ProbeResults, context: ReportContext, row = 0): SinkReport {
  const T = probes.tokens;
  const { norms: rowNorms, hidden, p0Cosine, layerMedian, firstTokenAttention: rowAttention, received, mlpNorms } = probes.rows[row];
  const depths = probes.depths;
  // A position the graph does not compute at some depth (a sliced last block) is NaN in the probes, null here.
  const norms = rowNorms.map(present);
  const ratios = rowNorms.map((values) => (Number.isNaN(values[0]) ? null : p0NormRatio(withoutAbsent(values))));
  const firstTokenAttention = rowAttention.map((layer) => Array.from({ length: probes.heads }, (_, h) => Array.from(layer.subarray(h * T, (h + 1) * T))));
  const sinkScore = firstTokenAttention.map(sinkScores);
  const baseline = uniformBaseline(T);
  const epsilon = context.epsilon;
  const massiveActivations = hidden.flatMap((vector, i) => (Number.isNaN(vector[0]) ? [] : [massiveActivation(vector.subarray(0, probes.hiddenSize), depths[i], 0, layerMedian[i])]));
  return {
    schema: REPORT_SCHEMA,
    model: context.model,
    runtime: context.runtime,
    prompt: context.prompt,
    tokens: context.tokens,
    residual: { depths, norms, p0NormRatio: ratios, p0Separation: p0Cosine.map((values) => (Number.isNaN(values[0]) ? null : p0Separation(withoutAbsent(values)))) },
    attention: {
      firstTokenAttention,
      received: received.map((values) => Array.from(values)),
      sinkScore,
      uniformBaseline: baseline,
      sinkRate: { epsilon, all: sinkRate(sinkScore, epsilon, 0) ?? 0, fromLayer2: sinkRate(sinkScore, epsilon, 2) },
    },
    massiveActivations,
    mlp: { layers: mlpNorms.map((values, layer) => ({ layer, norms: values ? present(values) : null })) },
    circuit: circuitVerdict(depths, ratios, sinkScore, epsilon, baseline),
    warnings: [...context.warnings, ...mixtureWarnings(mlpNorms)],
  };
}

function present(values: Float32Array): (number | null)[] {
  return Array.from(values, (value) => (Number.isNaN(value) ? null : value));
}

function withoutAbsent(values: Float32Array): Float32Array {
  return values.filter((value) => !Number.isNaN(value));
}

function mixtureWarnings(mlpNorms: (Float32Array | null)[]): ReportWarning[] {
  const layers = mlpNorms.flatMap((values, layer) => (values ? [] : [layer]));
  if (layers.length === 0) return [];
  return [
    { code: 'mixture-of-experts', message: `layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')} route tokens to experts, so there is no single MLP activation to measure (mlp norms are null)` },
  ];
}
