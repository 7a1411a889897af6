/**
 * Messages between the extension host and the analysis worker (a child process that owns every
 * onnxruntime session). Every message is a member of a discriminated union on `type`; requests
 * carry a `requestId` and their replies an `inReplyTo`, so several can be in flight.
 */
import type { ErrorPayload } from './errors';
import type { AblationDocument, BatchDocument, BosComparison, HeadRef, SubstitutionDocument } from './analyses';
import type { ModelRef, PromptInput, RunOptions } from './inputs';
import type { Device, ExecutionProvider, ModelSummary } from './report';
import type { AttentionMapPayload, RunLayer, RunReceived, RunSummary } from './runParts';
import type { Checkpoint, TraceCheckpoint, TraceDocument } from './trace';

// ---------------------------------------------------------------------------------------------
// Host ↔ worker
// ---------------------------------------------------------------------------------------------

export type ToWorkerMessage =
  | { type: 'analyze'; requestId: number; runId: string; model: ModelRef; prompt: PromptInput; options: RunOptions; withReceived: boolean }
  | { type: 'attentionMap'; requestId: number; runId: string; model: ModelRef; prompt: PromptInput; options: RunOptions; layer: number; head: number }
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
// Helpers shared by both ends
// ---------------------------------------------------------------------------------------------

export function isToWorkerMessage(value: unknown): value is ToWorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
