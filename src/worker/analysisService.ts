/**
 * The worker's logic, independent of how messages travel (child-process IPC in production, a
 * function call in tests). Owns one analyzer per model, runs one request at a time, and streams a
 * run as summary → layers → (optionally) attention received per layer → done.
 */
import type { AnalyzeOptions, AttentionMaps } from '../engine/api';
import { asSinkLensError, CancelledError, SinkLensError } from '../engine/errors';
import type { Device, ExecutionProvider, ModelSummary, SinkReport } from '../protocol/report';
import type { ErrorPayload } from '../protocol/errors';
import type { FromWorkerMessage, MultiAnalysisRequest, MultiAnalysisResult, ToWorkerMessage } from '../protocol/workerMessages';
import type { PromptInput, RunOptions } from '../protocol/inputs';
import type { Checkpoint, TraceDocument } from '../protocol/trace';
import type { TraceOptions } from '../engine/trace/traceRunner';
import { attentionReceived, selectHead, toRunLayers, toRunSummary } from '../protocol/runParts';

/** What the worker needs from the engine's Analyzer (src/engine/analyzer.ts). */
export interface AnalyzerLike {
  readonly model: ModelSummary;
  readonly executionProvider: ExecutionProvider;
  readonly fallbackReason: string | null;
  analyze(input: PromptInput, options: AnalyzeOptions): Promise<SinkReport>;
  attentionMaps(input: PromptInput, layer: number, options: AnalyzeOptions): Promise<AttentionMaps>;
  dispose(): Promise<void>;
}

/** Where analyzers come from: the engine's AnalyzerPool (one per model file and device, LRU). */
export interface AnalyzerSource {
  get(modelPath: string, device: Device): Promise<AnalyzerLike>;
  disposeAll(): Promise<void>;
}
export type Send = (message: FromWorkerMessage) => void;

/** The engine's runTrace (src/engine/trace/traceRunner.ts): opens and releases one checkpoint at a time. */
export type TraceRunner = (checkpoints: Checkpoint[], options: TraceOptions) => Promise<TraceDocument>;

/**
 * The multi-run analyses (src/worker/multiAnalysis.ts): given the pooled analyzer (an engine
 * Analyzer in production), run one engine function and return its document.
 */
export type MultiAnalysisRunner = (
  analyzer: AnalyzerLike,
  request: MultiAnalysisRequest,
  signal: AbortSignal,
  onProgress: (done: number, total: number) => void,
) => Promise<MultiAnalysisResult>;

type Job = Extract<ToWorkerMessage, { type: 'analyze' | 'attentionMap' | 'trace' | 'multiAnalysis' }>;

export class AnalysisService {
  private readonly queue: Job[] = [];
  private readonly controllers = new Map<number, AbortController>();
  private running = false;
  /** The last layer's full maps: switching heads in the panel then costs no forward pass. */
  private lastMaps: { key: string; maps: AttentionMaps } | null = null;

  constructor(
    private readonly analyzers: AnalyzerSource,
    private readonly send: Send,
    private readonly traceRunner?: TraceRunner,
    private readonly multiRunner?: MultiAnalysisRunner,
  ) {}

  handle(message: ToWorkerMessage): void {
    if (message.type === 'cancel') {
      this.cancel(message.requestId);
      return;
    }
    this.controllers.set(message.requestId, new AbortController());
    this.queue.push(message);
    void this.drain();
  }

  async dispose(): Promise<void> {
    for (const controller of this.controllers.values()) controller.abort();
    this.lastMaps = null;
    await this.analyzers.disposeAll();
  }

  private cancel(requestId: number): void {
    const controller = this.controllers.get(requestId);
    if (!controller) return;
    controller.abort();
    const queued = this.queue.findIndex((job) => job.requestId === requestId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.controllers.delete(requestId);
      this.send({ type: 'error', inReplyTo: requestId, error: toPayload(new CancelledError()) });
    }
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        const signal = this.controllers.get(job.requestId)!.signal;
        try {
          if (job.type === 'analyze') await this.analyze(job, signal);
          else if (job.type === 'trace') await this.trace(job, signal);
          else if (job.type === 'multiAnalysis') await this.multiAnalysis(job, signal);
          else await this.attentionMap(job, signal);
          this.send({ type: 'done', inReplyTo: job.requestId });
        } catch (error) {
          const reported = signal.aborted ? new CancelledError() : error;
          this.send({ type: 'error', inReplyTo: job.requestId, error: toPayload(reported) });
        } finally {
          this.controllers.delete(job.requestId);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * A checkpoint trace. The open analyzers are released first, so that memory holds one model at
   * a time (runTrace itself releases each checkpoint's session before opening the next).
   */
  private async trace(job: Extract<Job, { type: 'trace' }>, signal: AbortSignal): Promise<void> {
    if (!this.traceRunner) throw new SinkLensError('runtime', 'no-trace', 'this worker cannot run traces');
    this.lastMaps = null;
    await this.analyzers.disposeAll();
    const trace = await this.traceRunner(job.checkpoints, {
      ...job.options,
      signal,
      onCheckpoint: (checkpoint, index, total, cached) =>
        this.send({ type: 'traceCheckpoint', inReplyTo: job.requestId, checkpoint, index, total, cached }),
    });
    this.send({ type: 'traceResult', inReplyTo: job.requestId, trace });
  }

  private async multiAnalysis(job: Extract<Job, { type: 'multiAnalysis' }>, signal: AbortSignal): Promise<void> {
    if (!this.multiRunner) throw new SinkLensError('runtime', 'no-multi', 'this worker cannot run multi-prompt analyses');
    const analyzer = await this.analyzerFor(job);
    const result = await this.multiRunner(analyzer, job.request, signal, (done, total) =>
      this.send({ type: 'multiProgress', inReplyTo: job.requestId, done, total }),
    );
    if (signal.aborted) throw new CancelledError();
    this.send({ type: 'multiResult', inReplyTo: job.requestId, result });
  }

  private async analyzerFor(job: Extract<Job, { type: 'analyze' | 'attentionMap' | 'multiAnalysis' }>): Promise<AnalyzerLike> {
    // The pool opens each model once per device and forgets one that failed to open, so a
    // fixed model file is tried again next time.
    const opened = await this.analyzers.get(job.model.modelPath, job.model.device);
    this.send({
      type: 'modelOpened',
      inReplyTo: job.requestId,
      model: opened.model,
      executionProvider: opened.executionProvider,
      fallbackReason: opened.fallbackReason,
    });
    return opened;
  }

  private async analyze(job: Extract<Job, { type: 'analyze' }>, signal: AbortSignal): Promise<void> {
    const analyzer = await this.analyzerFor(job);
    const input = toPromptInput(job.prompt);
    const options = toAnalyzeOptions(job.options, signal);
    const report = await analyzer.analyze(input, options);
    this.send({ type: 'runSummary', inReplyTo: job.requestId, summary: toRunSummary(job.runId, report) });
    for (const layer of toRunLayers(job.runId, report)) {
      await yieldToMessages(signal);
      this.send({ type: 'runLayer', inReplyTo: job.requestId, layer });
    }
    if (!job.withReceived) return;
    const tokens = report.tokens.length;
    for (let layer = 0; layer < report.model.layers; layer++) {
      await yieldToMessages(signal);
      const maps = await analyzer.attentionMaps(input, layer, options);
      const received = attentionReceived(maps.data, maps.heads, tokens);
      this.send({ type: 'runReceived', inReplyTo: job.requestId, received: { runId: job.runId, layer, received } });
    }
  }

  private async attentionMap(job: Extract<Job, { type: 'attentionMap' }>, signal: AbortSignal): Promise<void> {
    const key = JSON.stringify([job.model, job.prompt, job.options.addBos, job.layer]);
    let maps = this.lastMaps?.key === key ? this.lastMaps.maps : undefined;
    if (!maps) {
      this.lastMaps = null; // free the previous layer before computing the next
      const analyzer = await this.analyzerFor(job);
      maps = await analyzer.attentionMaps(toPromptInput(job.prompt), job.layer, toAnalyzeOptions(job.options, signal));
      this.lastMaps = { key, maps };
    }
    const head = job.head >= 0 && job.head < maps.heads ? job.head : -1;
    // slice() so the message owns a compact buffer, not a view into all heads.
    const data = selectHead(maps.data, maps.heads, maps.tokens, head).slice();
    this.send({
      type: 'attentionMap',
      inReplyTo: job.requestId,
      map: { runId: job.runId, layer: maps.layer, head, heads: maps.heads, tokens: maps.tokens, data },
    });
  }
}

function toPromptInput(prompt: PromptInput): PromptInput {
  return prompt.kind === 'text'
    ? { kind: 'text', text: prompt.text, source: prompt.source }
    : { kind: 'ids', ids: prompt.ids, source: prompt.source };
}

function toAnalyzeOptions(options: RunOptions, signal: AbortSignal): AnalyzeOptions {
  return { addBos: options.addBos, epsilon: options.epsilon, maxTokens: options.maxTokens, truncate: options.truncate, signal };
}

/** Lets a pending 'cancel' message in before the next step. */
async function yieldToMessages(signal: AbortSignal): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (signal.aborted) throw new CancelledError();
}

export function toPayload(error: unknown): ErrorPayload {
  const known = asSinkLensError(error);
  return { category: known.category, code: known.code, message: known.message };
}
