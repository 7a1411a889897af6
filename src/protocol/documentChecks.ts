/**
 * Checks of the documents that cross a boundary: a report and its streamed parts, the multi-run
 * analyses' documents and a checkpoint trace, as the worker sends them to the host and the host to
 * the panels. Each is typed against its document's interface, so a field added to one without its
 * check (or the reverse) does not compile.
 */
import { ABLATION_SCHEMA, BATCH_SCHEMA, BOS_COMPARISON_SCHEMA, SUBSTITUTION_SCHEMA } from './analyses';
import type { AblationDocument, AblationVariant, BatchDocument, BosComparison, HeadRef, SubstitutionDocument } from './analyses';
import { array, boolean, float32Array, integer, literal, nullable, nullableNumbers, number, numbers, object, optional, plainObject, string, type Check } from './checks';
import { REPORT_SCHEMA, type CircuitVerdict, type MassiveActivation, type ModelSummary, type ReportToken, type RuntimeSummary, type SinkReport } from './report';
import type { AttentionMapPayload, RunLayer, RunReceived, RunSummary } from './runParts';
import { TRACE_SCHEMA, type TraceCheckpoint, type TraceDocument } from './trace';
import type { ErrorPayload } from './errors';

const index = integer();

export const errorPayload: Check<ErrorPayload> = object({
  category: literal('usage', 'model', 'runtime', 'cancelled'),
  code: string(200),
  message: string(10_000),
});
const numberMatrix = array(numbers);
const sinkRatePair = object({ all: number, fromLayer2: nullable(number) });
const sinkRate = object({ epsilon: number, all: number, fromLayer2: nullable(number) });

export const headRef: Check<HeadRef> = object({ layer: index, head: index });

export const modelSummary: Check<ModelSummary> = object({
  path: string(),
  architecture: string(),
  layers: index,
  heads: index,
  kvHeads: nullable(index),
  hiddenSize: index,
  vocabSize: index,
  attention: literal('softmax', 'fused-qk-output', 'recomputed'),
  bosTokenId: nullable(index),
  dtype: string(),
  slidingWindowLayers: array(index),
});

const executionProvider = literal('cuda', 'cpu');

export const runtimeSummary: Check<RuntimeSummary> = object({
  executionProvider,
  fallbackReason: nullable(string()),
  onnxruntime: string(),
  timingsMs: object({ load: number, tokenize: number, run: number, summarize: number }),
});

const reportToken: Check<ReportToken> = object({ id: index, text: string(), start: index, end: index, special: boolean });
const massiveActivation: Check<MassiveActivation> = object({
  depth: number,
  position: index,
  top: array(object({ dim: index, value: number })),
  median: number,
  massive: boolean,
});
export const circuitVerdict: Check<CircuitVerdict> = object({
  formationDepth: nullable(number),
  sinkOnsetLayer: nullable(index),
  withinTwoBlocks: boolean,
  concentration: nullable(number),
});
const warning = object({ code: string(), message: string() });
const prompt = object({ text: nullable(string()), source: string(), bos: boolean });

export const sinkReport: Check<SinkReport> = object({
  schema: literal(REPORT_SCHEMA),
  model: modelSummary,
  runtime: runtimeSummary,
  prompt,
  tokens: array(reportToken),
  residual: object({ depths: numbers, norms: numberMatrix, p0NormRatio: nullableNumbers, p0Separation: nullableNumbers }),
  attention: object({ firstTokenAttention: array(numberMatrix), sinkScore: numberMatrix, uniformBaseline: number, sinkRate }),
  massiveActivations: array(massiveActivation),
  mlp: object({ layers: array(object({ layer: index, norms: nullable(numbers) })) }),
  circuit: circuitVerdict,
  warnings: array(warning),
});

// ---- a run's streamed parts --------------------------------------------------------------------

export const runSummary: Check<RunSummary> = object({
  runId: string(200),
  model: modelSummary,
  runtime: runtimeSummary,
  prompt,
  tokens: array(reportToken),
  depths: numbers,
  norms: array(float32Array),
  p0NormRatio: nullableNumbers,
  p0Separation: nullableNumbers,
  sinkScore: numberMatrix,
  uniformBaseline: number,
  sinkRate,
  circuit: circuitVerdict,
  verdict: object({ headline: string(), details: array(string()) }),
  massiveActivations: array(massiveActivation),
  warnings: array(warning),
  extras: plainObject,
});

export const runLayer: Check<RunLayer> = object({
  runId: string(200),
  layer: index,
  firstTokenAttention: array(float32Array),
  mlpNorms: nullable(float32Array),
  mlpAtP0: nullable(object({ norm: number, othersMedian: nullable(number), ratio: nullable(number) })),
});

export const runReceived: Check<RunReceived> = object({ runId: string(200), layer: index, received: float32Array });

export const attentionMapPayload: Check<AttentionMapPayload> = object({
  runId: string(200),
  layer: index,
  head: integer(-1),
  heads: index,
  tokens: index,
  data: float32Array,
});

// ---- the multi-run analyses --------------------------------------------------------------------

export const batchDocument: Check<BatchDocument> = object({
  schema: literal(BATCH_SCHEMA),
  model: modelSummary,
  runtime: object({ executionProvider, fallbackReason: nullable(string()), onnxruntime: string() }),
  epsilon: number,
  prompts: array(object({ text: nullable(string()), source: string(), tokens: index, sinkRate: sinkRatePair, p0NormRatio: nullableNumbers, circuit: circuitVerdict })),
  sinkRate: sinkRatePair,
  crossInputCosine: object({ depths: numbers, positions: numbers, values: array(nullableNumbers) }),
  p0Separation: nullableNumbers,
  meanP0Hidden: array(massiveActivation),
  firstMassiveDepth: nullable(number),
  mlp: array(object({ layer: index, crossInputCosineP0: nullable(number), meanTopDimsP0: array(object({ dim: index, value: number })) })),
  reports: optional(array(sinkReport)),
});

const ablationVariant: Check<AblationVariant> = object({
  label: string(),
  heads: array(headRef),
  p0NormRatio: nullableNumbers,
  sinkRate: object({ all: nullable(number), fromLayer2: nullable(number) }),
  crossInputCosineP0: nullableNumbers,
  mlpCosineP0: nullableNumbers,
});

export const ablationDocument: Check<AblationDocument> = object({
  schema: literal(ABLATION_SCHEMA),
  prompts: index,
  depths: numbers,
  baseline: ablationVariant,
  variants: array(ablationVariant),
});

export const substitutionDocument: Check<SubstitutionDocument> = object({
  schema: literal(SUBSTITUTION_SCHEMA),
  uniformBaseline: number,
  variants: array(
    object({
      label: string(),
      firstTokenId: index,
      firstTokenText: string(),
      sinkRate: object({ epsilon: optional(number), all: number, fromLayer2: nullable(number) }),
      meanSinkScore: numbers,
      sinkStrength: number,
      p0NormRatio: nullableNumbers,
    }),
  ),
  finding: literal('follows-position', 'follows-token', 'mixed', 'no-sink'),
  explanation: string(),
});

export const bosComparison: Check<BosComparison> = object({
  schema: literal(BOS_COMPARISON_SCHEMA),
  withBos: sinkReport,
  withoutBos: sinkReport,
  sinkRate: object({ withBos: sinkRatePair, withoutBos: sinkRatePair }),
});

// ---- a checkpoint trace ------------------------------------------------------------------------

export const traceCheckpoint: Check<TraceCheckpoint> = object({
  step: index,
  path: string(),
  hash: string(),
  executionProvider: string(),
  depths: numbers,
  sinkRate: sinkRatePair,
  formationDepth: nullable(number),
  sinkOnsetLayer: nullable(index),
  concentration: nullable(number),
  p0NormRatio: nullableNumbers,
  loss: number,
  prompts: array(object({ sinkRate: sinkRatePair, p0NormRatio: nullableNumbers, circuit: circuitVerdict, loss: number })),
});

export const traceDocument: Check<TraceDocument> = object({
  schema: literal(TRACE_SCHEMA),
  prompts: array(string()),
  epsilon: number,
  bos: nullable(boolean),
  checkpoints: array(traceCheckpoint),
});
