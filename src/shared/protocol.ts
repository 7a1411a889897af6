/**
 * The one message protocol of Sink Lens, shared by the extension host, the analysis worker and the
 * webview. Every message is a member of a discriminated union on `type`; requests carry a
 * `requestId` and their replies an `inReplyTo`, so several can be in flight. Bulk numbers travel
 * as Float32Array (structured clone keeps them binary; nothing is turned into JSON arrays).
 *
 * A run is streamed in three parts so that the panel paints before everything has arrived:
 *   RunSummary (tokens, norms, sink scores, verdict) → one RunLayer per layer → RunEnd.
 * Full [heads][query][key] attention maps are sent only when the user opens a layer.
 *
 * Nothing here may import `vscode` or DOM-only types: the worker is plain Node.
 */
import type {
  CircuitVerdict,
  Device,
  ExecutionProvider,
  MassiveActivation,
  ModelSummary,
  PromptSummary,
  ReportToken,
  ReportWarning,
  RuntimeSummary,
} from '../engine/report';
import type { Checkpoint } from '../engine/trace/checkpoints';
import type { AblationDocument, HeadRef } from '../engine/analyses/headAblation';
import type { BatchDocument } from '../engine/analyses/batchAnalysis';
import type { BosComparison } from '../engine/analyses/bosComparison';
import type { SubstitutionDocument } from '../engine/analyses/firstTokenSubstitution';
import type { TraceCheckpoint, TraceDocument } from '../engine/trace/traceDocument';

// ---------------------------------------------------------------------------------------------
// Pieces of a streamed run
// ---------------------------------------------------------------------------------------------

/** Everything the first paint needs: small, or one typed array per depth. */
export interface RunSummary {
  runId: string;
  model: ModelSummary;
  runtime: RuntimeSummary;
  prompt: PromptSummary;
  tokens: ReportToken[];
  depths: number[];
  /** norms[i] has T values: the residual-stream L2 norm at depths[i] for each position; NaN where the graph does not compute it. */
  norms: Float32Array[];
  p0NormRatio: (number | null)[];
  p0Separation: (number | null)[];
  /** [layer][head] */
  sinkScore: number[][];
  uniformBaseline: number;
  sinkRate: { epsilon: number; all: number; fromLayer2: number | null };
  circuit: CircuitVerdict;
  massiveActivations: MassiveActivation[];
  warnings: ReportWarning[];
  /** Top-level report fields this protocol does not know (reports may add fields): passed through. */
  extras: Record<string, unknown>;
}

/** One layer's per-position data. */
export interface RunLayer {
  runId: string;
  layer: number;
  /** [head] → T values: attention each query pays to position 0. */
  firstTokenAttention: Float32Array[];
  /** T values, or null when the report has no MLP data for this layer. */
  mlpNorms: Float32Array | null;
}

/**
 * How much attention each position receives in one layer: for key k, (1/T) Σ_q A[l,h,q,k] averaged
 * over heads (Gu et al.'s sink score, generalised from k = 0 to every key). Computed from the full
 * maps in the worker, so only T numbers per layer cross the wire.
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

export interface ErrorPayload {
  category: 'usage' | 'model' | 'runtime' | 'cancelled';
  code: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Host ↔ worker
// ---------------------------------------------------------------------------------------------

export type WorkerPrompt =
  | { kind: 'text'; text: string; source: string }
  | { kind: 'ids'; ids: number[]; source: string };

export interface WorkerRunOptions {
  addBos: boolean;
  epsilon: number;
  maxTokens: number;
  /** Above maxTokens: analyse the first maxTokens tokens (the report warns) instead of refusing. */
  truncate?: boolean;
}

export interface ModelRef {
  modelPath: string;
  device: Device;
}

export type ToWorkerMessage =
  | { type: 'analyze'; requestId: number; runId: string; model: ModelRef; prompt: WorkerPrompt; options: WorkerRunOptions; withReceived: boolean }
  | { type: 'attentionMap'; requestId: number; runId: string; model: ModelRef; prompt: WorkerPrompt; options: WorkerRunOptions; layer: number; head: number }
  | { type: 'trace'; requestId: number; checkpoints: Checkpoint[]; options: WorkerTraceOptions }
  | { type: 'multiAnalysis'; requestId: number; model: ModelRef; request: MultiAnalysisRequest }
  | { type: 'cancel'; requestId: number };

/**
 * The paper's multi-run analyses (src/engine/analyses), run in the worker on the pooled analyzer.
 * compareBos and substitute use the first prompt; batch, sweepLayer and ablateHeads use all of them.
 * sweepLayer removes each head of one layer in turn (one variant per head); ablateHeads removes the
 * given heads together (one variant), as chosen in the report panel's sink grid.
 */
export type MultiAnalysisKind = 'compareBos' | 'batch' | 'sweepLayer' | 'ablateHeads' | 'substitute';

export interface MultiAnalysisRequest {
  kind: MultiAnalysisKind;
  prompts: WorkerPrompt[];
  options: WorkerRunOptions;
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

export type FromWorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'modelOpened'; inReplyTo: number; model: ModelSummary; executionProvider: ExecutionProvider; fallbackReason: string | null }
  | { type: 'runSummary'; inReplyTo: number; summary: RunSummary }
  | { type: 'runLayer'; inReplyTo: number; layer: RunLayer }
  | { type: 'runReceived'; inReplyTo: number; received: RunReceived }
  | { type: 'attentionMap'; inReplyTo: number; map: AttentionMapPayload }
  | { type: 'traceCheckpoint'; inReplyTo: number; checkpoint: TraceCheckpoint; index: number; total: number; cached: boolean }
  | { type: 'traceResult'; inReplyTo: number; trace: TraceDocument }
  | { type: 'multiProgress'; inReplyTo: number; done: number; total: number }
  | { type: 'multiResult'; inReplyTo: number; result: MultiAnalysisResult }
  | { type: 'done'; inReplyTo: number }
  | { type: 'error'; inReplyTo: number; error: ErrorPayload };

// ---------------------------------------------------------------------------------------------
// Host ↔ webview
// ---------------------------------------------------------------------------------------------

/** What the webview keeps with getState/setState and what the serializer restores from. */
export interface WebviewState {
  runId: string | null;
  layer: number;
  /** -1 = mean over heads. */
  head: number;
  focusedToken: number | null;
  /** Whether the user opened an attention map; a restored or re-run panel then loads it again. */
  mapOpen: boolean;
  /** Heads selected in the sink grid for "Ablate Selected Heads" (absent in states saved before it existed). */
  selectedHeads?: HeadRef[];
}

export type ToWebviewMessage =
  | { type: 'runBegin'; summary: RunSummary }
  | { type: 'runLayer'; layer: RunLayer }
  | { type: 'runReceived'; received: RunReceived }
  | { type: 'runEnd'; runId: string }
  | { type: 'runError'; runId: string | null; error: ErrorPayload }
  | { type: 'attentionMap'; inReplyTo: number; map: AttentionMapPayload }
  | { type: 'attentionMapError'; inReplyTo: number; error: ErrorPayload }
  | { type: 'focus'; runId: string; token?: number; layer?: number; head?: number }
  | { type: 'exportDone'; path: string | null }
  /** The answer to 'ablateHeads': the result itself is shown in the Sink Analyses panel; error null when it is. */
  | { type: 'ablationDone'; inReplyTo: number; error: ErrorPayload | null };

export type ExportKind = 'png' | 'json' | 'csv';

export type FromWebviewMessage =
  | { type: 'ready'; state: WebviewState | null }
  | { type: 'requestAttentionMap'; requestId: number; runId: string; layer: number; head: number }
  | { type: 'export'; kind: ExportKind; name: string; /** base64 PNG or CSV text; JSON is built by the host. */ data?: string }
  | { type: 'revealToken'; runId: string; token: number }
  /** Rerun this run's prompt with these heads removed together (one variant); answered by 'ablationDone'. */
  | { type: 'ablateHeads'; requestId: number; runId: string; heads: HeadRef[] }
  | { type: 'stateChanged'; state: WebviewState }
  | { type: 'command'; command: 'selectModel' | 'openSettings' | 'rerun' };

// ---------------------------------------------------------------------------------------------
// Helpers shared by both ends
// ---------------------------------------------------------------------------------------------

export function isToWorkerMessage(value: unknown): value is ToWorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
