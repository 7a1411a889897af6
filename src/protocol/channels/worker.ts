/**
 * The channel between the extension host and the analysis worker (a child process that owns every
 * onnxruntime session): what the worker answers, with each request's progress events and reply,
 * and the checks the host runs on everything the worker sends (and the worker on what it is sent).
 *
 *   analyze        → progress modelOpened                                        → RunReport (the whole report, once)
 *   attentionMap   → progress modelOpened                                        → AttentionMapPayload
 *   trace          → progress traceCheckpoint…                                   → TraceDocument
 *   multiAnalysis  → progress modelOpened, multiProgress…                        → MultiAnalysisResult
 *
 * The worker runs one request at a time, in the order sent; a queued one can be cancelled.
 */
import type { AblationDocument, BatchDocument, BosComparison, HeadRef, SubstitutionDocument } from '../analyses';
import { array, boolean, integer, literal, nullable, number, object, optional, string, variant, type Check } from '../checks';
import {
  ablationDocument,
  attentionMapPayload,
  batchDocument,
  bosComparison,
  checkpointSource,
  headRef,
  modelSummary,
  runReport,
  substitutionDocument,
  traceCheckpoint,
  traceDocument,
} from '../documentChecks';
import type { ModelRef, PromptInput, RunOptions } from '../inputs';
import type { Device, ExecutionProvider, ModelSummary } from '../report';
import type { Side, SideChecks } from '../rpc';
import type { AttentionMapPayload, RunReport } from '../runReport';
import type { Checkpoint, TraceCheckpoint, TraceDocument } from '../trace';

/** A run of one prompt: the model, the prompt and the options it is analysed with. */
export interface RunRequest {
  runId: string;
  model: ModelRef;
  prompt: PromptInput;
  options: RunOptions;
}

/** Sent as soon as the request's model is open: which device actually runs it. */
export interface ModelOpened {
  type: 'modelOpened';
  model: ModelSummary;
  executionProvider: ExecutionProvider;
  fallbackReason: string | null;
}

/**
 * The paper's multi-run analyses (src/engine/analyses), run in the worker on the pooled analyzer.
 * compareBos and substitute use the first prompt; batch, sweepLayer and ablateHeads use all of them.
 * sweepLayer removes each head of one layer in turn (one variant per head); ablateHeads removes the
 * given heads together (one variant), as chosen in the report panel's sink grid.
 */
export type MultiAnalysisKind = 'compareBos' | 'batch' | 'sweepLayer' | 'ablateHeads' | 'substitute';

export interface MultiAnalysisRequest {
  kind: MultiAnalysisKind;
  prompts: PromptInput[];
  options: RunOptions;
  /** sweepLayer: the layer whose heads are ablated one at a time. */
  layer?: number;
  /** ablateHeads: the heads removed together (checked against the model in the worker). */
  heads?: HeadRef[];
  /** batch: positions 0…positions-1 compared across prompts (engine default 8). */
  positions?: number;
}

/** The engine's document, with the model it ran on (for sliding-window layers, head counts). */
export type MultiAnalysisResult =
  | { kind: 'compareBos'; model: ModelSummary; document: BosComparison }
  | { kind: 'batch'; model: ModelSummary; document: BatchDocument }
  | { kind: 'sweepLayer'; model: ModelSummary; layer: number; document: AblationDocument }
  | { kind: 'ablateHeads'; model: ModelSummary; heads: HeadRef[]; document: AblationDocument }
  | { kind: 'substitute'; model: ModelSummary; document: SubstitutionDocument };

/** A checkpoint trace (engine's runTrace): the worker measures one checkpoint at a time, cached in cacheFolder. */
export interface WorkerTraceOptions {
  prompts: string[];
  device: Device;
  epsilon: number;
  addBos?: boolean;
  cacheFolder: string;
}

export interface TraceProgress {
  type: 'traceCheckpoint';
  checkpoint: TraceCheckpoint;
  index: number;
  total: number;
  cached: boolean;
}

/** What the worker answers. */
export interface WorkerSide extends Side {
  requests: {
    analyze: { params: RunRequest; result: RunReport; progress: ModelOpened };
    attentionMap: { params: RunRequest & { layer: number; head: number }; result: AttentionMapPayload; progress: ModelOpened };
    trace: { params: { checkpoints: Checkpoint[]; options: WorkerTraceOptions }; result: TraceDocument; progress: TraceProgress };
    multiAnalysis: { params: { model: ModelRef; request: MultiAnalysisRequest }; result: MultiAnalysisResult; progress: ModelOpened | { type: 'multiProgress'; done: number; total: number } };
  };
  events: Record<never, never>;
}

/** What the host hears from the worker: only that it started. */
export interface WorkerHostSide extends Side {
  requests: Record<never, never>;
  events: { ready: { pid: number } };
}

const index = integer();
const device = literal('auto', 'cuda', 'cpu');
const modelRef: Check<ModelRef> = object({ modelPath: string(10_000), device });
export const promptInput: Check<PromptInput> = variant('kind', {
  text: object({ kind: literal('text'), text: string(), source: string(10_000) }),
  ids: object({ kind: literal('ids'), ids: array(index), source: string(10_000) }),
});
export const runOptions: Check<RunOptions> = object({ addBos: boolean, epsilon: number, maxTokens: index, truncate: optional(boolean) });
const runRequest = { runId: string(200), model: modelRef, prompt: promptInput, options: runOptions };
const modelOpened: Check<ModelOpened> = object({
  type: literal('modelOpened'),
  model: modelSummary,
  executionProvider: literal('cuda', 'cpu'),
  fallbackReason: nullable(string()),
});

const multiAnalysisResult: Check<MultiAnalysisResult> = variant('kind', {
  compareBos: object({ kind: literal('compareBos'), model: modelSummary, document: bosComparison }),
  batch: object({ kind: literal('batch'), model: modelSummary, document: batchDocument }),
  sweepLayer: object({ kind: literal('sweepLayer'), model: modelSummary, layer: index, document: ablationDocument }),
  ablateHeads: object({ kind: literal('ablateHeads'), model: modelSummary, heads: array(headRef), document: ablationDocument }),
  substitute: object({ kind: literal('substitute'), model: modelSummary, document: substitutionDocument }),
});
export { multiAnalysisResult };

export const workerChecks: SideChecks<WorkerSide> = {
  params: {
    analyze: object(runRequest),
    attentionMap: object({ ...runRequest, layer: index, head: integer(-1) }),
    trace: object({
      checkpoints: array(object({ step: index, path: string(10_000), tokenizer: optional(string(10_000)), source: optional(checkpointSource) })),
      options: object({ prompts: array(string()), device, epsilon: number, addBos: optional(boolean), cacheFolder: string(10_000) }),
    }),
    multiAnalysis: object({
      model: modelRef,
      request: object({
        kind: literal('compareBos', 'batch', 'sweepLayer', 'ablateHeads', 'substitute'),
        prompts: array(promptInput),
        options: runOptions,
        layer: optional(index),
        heads: optional(array(headRef)),
        positions: optional(integer(1)),
      }),
    }),
  },
  results: {
    analyze: runReport,
    attentionMap: attentionMapPayload,
    trace: traceDocument,
    multiAnalysis: multiAnalysisResult,
  },
  progress: {
    analyze: modelOpened,
    attentionMap: modelOpened,
    trace: object({ type: literal('traceCheckpoint'), checkpoint: traceCheckpoint, index, total: index, cached: boolean }),
    multiAnalysis: variant('type', { modelOpened, multiProgress: object({ type: literal('multiProgress'), done: index, total: index }) }),
  },
  events: {},
};

export const workerHostChecks: SideChecks<WorkerHostSide> = {
  params: {},
  results: {},
  progress: {},
  events: { ready: object({ pid: index }) },
};
