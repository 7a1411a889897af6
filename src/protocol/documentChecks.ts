/**
 * Checks of the documents that cross a boundary: a report (as JSON, or typed as a run crosses), the multi-run
 * analyses' documents and a checkpoint trace, as the worker sends them to the host and the host to
 * the panels. Each is typed against its document's interface, so a field added to one without its
 * check (or the reverse) does not compile. Fields a document adds that its check does not name are
 * kept (documentObject): documents may grow, and the report the host stores must not lose them.
 */
import { ABLATION_SCHEMA, BATCH_SCHEMA, BOS_COMPARISON_SCHEMA, SUBSTITUTION_SCHEMA } from './analyses';
import type { AblationDocument, AblationVariant, BatchDocument, BosComparison, HeadRef, SubstitutionDocument } from './analyses';
import { array, boolean, documentObject, float32Array, integer, literal, nullable, nullableNumbers, number, numbers, object, optional, string, variant, type Check } from './checks';
import { REPORT_SCHEMA, type CircuitVerdict, type MassiveActivation, type ModelSummary, type ReportToken, type RuntimeSummary, type SinkReport } from './report';
import type { AttentionMapPayload, ReportArrays, RunReport } from './runReport';
import { TRACE_SCHEMA, type CheckpointSource, type TraceCheckpoint, type TraceDocument } from './trace';
import type { ErrorPayload } from './errors';

const index = integer();

/** The one error shape, as it crosses any channel (a message: nothing else rides along). */
export const errorPayload: Check<ErrorPayload> = object({
  category: literal('usage', 'model', 'runtime', 'cancelled'),
  code: string(200),
  message: string(10_000),
});
const numberMatrix = array(numbers);
const sinkRatePair = documentObject({ all: number, fromLayer2: nullable(number) });
const sinkRate = documentObject({ epsilon: number, all: number, fromLayer2: nullable(number) });

export const headRef: Check<HeadRef> = documentObject({ layer: index, head: index });

export const modelSummary: Check<ModelSummary> = documentObject({
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
  torchDtype: optional(nullable(string())),
  checkpoint: optional(
    nullable(
      documentObject({
        format: literal('safetensors'),
        folder: string(),
        hubId: nullable(string()),
        revision: nullable(string()),
        commit: nullable(string()),
        builtGraph: string(),
      }),
    ),
  ),
});

const executionProvider = literal('cuda', 'cpu');

export const runtimeSummary: Check<RuntimeSummary> = documentObject({
  executionProvider,
  fallbackReason: nullable(string()),
  onnxruntime: string(),
  timingsMs: documentObject({ load: number, tokenize: number, run: number, summarize: number }),
});

const reportToken: Check<ReportToken> = documentObject({ id: index, text: string(), start: index, end: index, special: boolean });
const concentrationNullReason = literal('no-formation', 'no-depth-2', 'no-growth');
const massiveActivation: Check<MassiveActivation> = documentObject({
  depth: number,
  position: index,
  top: array(documentObject({ dim: index, value: number })),
  median: number,
  rowMedian: optional(number),
  massive: boolean,
});
export const circuitVerdict: Check<CircuitVerdict> = documentObject({
  formationDepth: nullable(number),
  sinkOnsetLayer: nullable(index),
  withinTwoBlocks: boolean,
  concentration: nullable(number),
  concentrationNullReason: optional(nullable(concentrationNullReason)),
});
const warning = documentObject({ code: string(), message: string() });
const prompt = documentObject({ text: nullable(string()), source: string(), bos: boolean });

export const sinkReport: Check<SinkReport> = documentObject({
  schema: literal(REPORT_SCHEMA),
  model: modelSummary,
  runtime: runtimeSummary,
  prompt,
  tokens: array(reportToken),
  residual: documentObject({ depths: numbers, norms: array(nullableNumbers), p0NormRatio: nullableNumbers, p0Separation: nullableNumbers }),
  attention: documentObject({ firstTokenAttention: array(numberMatrix), received: optional(numberMatrix), sinkScore: numberMatrix, uniformBaseline: number, sinkRate }),
  massiveActivations: array(massiveActivation),
  mlp: documentObject({ layers: array(documentObject({ layer: index, norms: nullable(nullableNumbers) })) }),
  circuit: circuitVerdict,
  warnings: array(warning),
});

// ---- a finished run, as it crosses worker → host → webview -------------------------------------

/** The report with its bulk arrays typed (runReport.ts): the same fields as sinkReport, checked as Float32Array. */
export const reportArrays: Check<ReportArrays> = documentObject({
  schema: literal(REPORT_SCHEMA),
  model: modelSummary,
  runtime: runtimeSummary,
  prompt,
  tokens: array(reportToken),
  residual: documentObject({ depths: numbers, norms: array(float32Array), p0NormRatio: nullableNumbers, p0Separation: nullableNumbers }),
  attention: documentObject({ firstTokenAttention: array(array(float32Array)), received: optional(array(float32Array)), sinkScore: numberMatrix, uniformBaseline: number, sinkRate }),
  massiveActivations: array(massiveActivation),
  mlp: documentObject({ layers: array(documentObject({ layer: index, norms: nullable(float32Array) })) }),
  circuit: circuitVerdict,
  warnings: array(warning),
});

export const runReport: Check<RunReport> = documentObject({ runId: string(200), report: reportArrays });

export const attentionMapPayload: Check<AttentionMapPayload> = documentObject({
  runId: string(200),
  layer: index,
  head: integer(-1),
  heads: index,
  tokens: index,
  data: float32Array,
});

// ---- the multi-run analyses --------------------------------------------------------------------

export const batchDocument: Check<BatchDocument> = documentObject({
  schema: literal(BATCH_SCHEMA),
  model: modelSummary,
  runtime: documentObject({ executionProvider, fallbackReason: nullable(string()), onnxruntime: string() }),
  epsilon: number,
  prompts: array(documentObject({ text: nullable(string()), source: string(), tokens: index, sinkRate: sinkRatePair, p0NormRatio: nullableNumbers, circuit: circuitVerdict })),
  sinkRate: sinkRatePair,
  crossInputCosine: documentObject({ depths: numbers, positions: numbers, values: array(nullableNumbers) }),
  p0Separation: nullableNumbers,
  meanP0Hidden: array(massiveActivation),
  firstMassiveDepth: nullable(number),
  mlp: array(documentObject({ layer: index, crossInputCosineP0: nullable(number), meanTopDimsP0: array(documentObject({ dim: index, value: number })) })),
  reports: optional(array(sinkReport)),
});

const ablationVariant: Check<AblationVariant> = documentObject({
  label: string(),
  heads: array(headRef),
  p0NormRatio: nullableNumbers,
  sinkRate: documentObject({ all: nullable(number), fromLayer2: nullable(number) }),
  crossInputCosineP0: nullableNumbers,
  mlpCosineP0: nullableNumbers,
});

export const ablationDocument: Check<AblationDocument> = documentObject({
  schema: literal(ABLATION_SCHEMA),
  prompts: index,
  depths: numbers,
  baseline: ablationVariant,
  variants: array(ablationVariant),
});

export const substitutionDocument: Check<SubstitutionDocument> = documentObject({
  schema: literal(SUBSTITUTION_SCHEMA),
  uniformBaseline: number,
  variants: array(
    documentObject({
      label: string(),
      firstTokenId: index,
      firstTokenText: string(),
      sinkRate: documentObject({ epsilon: optional(number), all: number, fromLayer2: nullable(number) }),
      meanSinkScore: numbers,
      sinkStrength: number,
      p0NormRatio: nullableNumbers,
    }),
  ),
  finding: literal('follows-position', 'follows-token', 'mixed', 'no-sink'),
  explanation: string(),
});

export const bosComparison: Check<BosComparison> = documentObject({
  schema: literal(BOS_COMPARISON_SCHEMA),
  withBos: sinkReport,
  withoutBos: sinkReport,
  sinkRate: documentObject({ withBos: sinkRatePair, withoutBos: sinkRatePair }),
});

// ---- a checkpoint trace ------------------------------------------------------------------------

export const checkpointSource: Check<CheckpointSource> = variant('kind', {
  hub: documentObject({ kind: literal('hub'), repoId: string(1000), revision: string(1000), commit: string(1000) }),
  local: documentObject({ kind: literal('local'), path: string(10_000) }),
});

export const traceCheckpoint: Check<TraceCheckpoint> = documentObject({
  step: index,
  path: string(),
  source: optional(checkpointSource),
  hash: string(),
  executionProvider: string(),
  depths: numbers,
  sinkRate: sinkRatePair,
  formationDepth: nullable(number),
  sinkOnsetLayer: nullable(index),
  concentration: nullable(number),
  concentrationNullReason: optional(nullable(concentrationNullReason)),
  p0NormRatio: nullableNumbers,
  loss: number,
  prompts: array(documentObject({ sinkRate: sinkRatePair, p0NormRatio: nullableNumbers, circuit: circuitVerdict, loss: number })),
});

export const traceDocument: Check<TraceDocument> = documentObject({
  schema: literal(TRACE_SCHEMA),
  prompts: array(string()),
  epsilon: number,
  bos: nullable(boolean),
  checkpoints: array(traceCheckpoint),
});
