/**
 * The worker's logic: the request handlers of the worker channel (src/protocol/channels/worker.ts),
 * independent of how messages travel (child-process IPC in production, an in-process pair of
 * endpoints in tests). Owns one analyzer per model, runs one request at a time in the order they
 * came (a cancelled one waiting for its turn gives it up at once), and replies to a run with its
 * whole report, once, its bulk numbers typed (RunReport). Everything in it comes from the analysis's
 * one forward pass (attention received is a probe of it); only the attention heat map a panel asks
 * for costs another pass, of one layer.
 */
import type { AnalyzeOptions, AttentionMaps } from '../engine/api';
import { CancelledError, SinkLensError } from '../engine/errors';
import type { TraceOptions } from '../engine/trace/traceRunner';
import type { ModelOpened, MultiAnalysisRequest, MultiAnalysisResult, WorkerSide } from '../protocol/channels/worker';
import type { PromptInput, RunOptions } from '../protocol/inputs';
import type { Device, ExecutionProvider, ModelSummary, SinkReport } from '../protocol/report';
import type { RequestContext, RequestHandlers } from '../protocol/rpc';
import { selectHead, toReportArrays, type RunReport } from '../protocol/runReport';
import type { Checkpoint, TraceDocument } from '../protocol/trace';

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

/** The engine's runTrace (src/engine/trace/traceRunner.ts): opens and releases one checkpoint at a time. */
export type TraceRunner = (checkpoints: Checkpoint[], options: TraceOptions) => Promise<TraceDocument>;

/**
 * The multi-run analyses (src/worker/multiAnalysis.ts): given the pooled analyzer (an engine
 * Analyzer in production), run one engine function and return its document.
 */
export type MultiAnalysisRunner = (analyzer: AnalyzerLike, request: MultiAnalysisRequest, signal: AbortSignal, onProgress: (done: number, total: number) => void) => Promise<MultiAnalysisResult>;

type Params<K extends keyof WorkerSide['requests']> = WorkerSide['requests'][K]['params'];
type Context<K extends keyof WorkerSide['requests']> = RequestContext<WorkerSide['requests'][K]['progress']>;

export class AnalysisService {
  /** Settles when every request accepted so far is finished: the next one waits for it. */
  private turn: Promise<void> = Promise.resolve();
  private readonly running = new Set<AbortController>();
  /** The last layer's full maps: switching heads in the panel then costs no forward pass. */
  private lastMaps: { key: string; maps: AttentionMaps } | null = null;

  constructor(
    private readonly analyzers: AnalyzerSource,
    private readonly traceRunner?: TraceRunner,
    private readonly multiRunner?: MultiAnalysisRunner,
  ) {}

  /** The worker channel's request handlers. */
  handlers(): RequestHandlers<WorkerSide> {
    return {
      analyze: (params, context) => this.inTurn(context, (inTurn) => this.analyze(params, inTurn)),
      attentionMap: (params, context) => this.inTurn(context, (inTurn) => this.attentionMap(params, inTurn)),
      trace: (params, context) => this.inTurn(context, (inTurn) => this.trace(params, inTurn)),
      multiAnalysis: (params, context) => this.inTurn(context, (inTurn) => this.multiAnalysis(params, inTurn)),
    };
  }

  async dispose(): Promise<void> {
    for (const controller of this.running) controller.abort();
    this.lastMaps = null;
    await this.analyzers.disposeAll();
  }

  /**
   * Runs `job` after every earlier request; cancelled while it waits, it fails at once and keeps no
   * one waiting. The job's signal is aborted by the requester's cancel and by dispose().
   */
  private inTurn<C extends RequestContext<unknown>, T>(context: C, job: (context: C) => Promise<T>): Promise<T> {
    const { signal } = context;
    const previous = this.turn;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    this.turn = previous.then(() => done);
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.running.add(controller);
    const cancelled = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new CancelledError()), { once: true }));
    cancelled.catch(() => undefined);
    return (async () => {
      try {
        await Promise.race([previous, cancelled]);
        return await job({ ...context, signal: controller.signal });
      } finally {
        signal.removeEventListener('abort', stop);
        this.running.delete(controller);
        finished();
      }
    })();
  }

  /**
   * A checkpoint trace. The open analyzers are released first, so that memory holds one model at
   * a time (runTrace itself releases each checkpoint's session before opening the next).
   */
  private async trace({ checkpoints, options }: Params<'trace'>, context: Context<'trace'>): Promise<TraceDocument> {
    if (!this.traceRunner) throw new SinkLensError('runtime', 'no-trace', 'this worker cannot run traces');
    this.lastMaps = null;
    await this.analyzers.disposeAll();
    return this.traceRunner(checkpoints, {
      ...options,
      signal: context.signal,
      onCheckpoint: (checkpoint, index, total, cached) => context.progress({ type: 'traceCheckpoint', checkpoint, index, total, cached }),
    });
  }

  private async multiAnalysis({ model, request }: Params<'multiAnalysis'>, context: Context<'multiAnalysis'>): Promise<MultiAnalysisResult> {
    if (!this.multiRunner) throw new SinkLensError('runtime', 'no-multi', 'this worker cannot run multi-prompt analyses');
    const analyzer = await this.analyzerFor(model.modelPath, model.device, context.progress);
    const result = await this.multiRunner(analyzer, request, context.signal, (done, total) => context.progress({ type: 'multiProgress', done, total }));
    if (context.signal.aborted) throw new CancelledError();
    return result;
  }

  private async analyzerFor(modelPath: string, device: Device, progress: (opened: ModelOpened) => void): Promise<AnalyzerLike> {
    // The pool opens each model once per device and forgets one that failed to open, so a
    // fixed model file is tried again next time.
    const opened = await this.analyzers.get(modelPath, device);
    progress({ type: 'modelOpened', model: opened.model, executionProvider: opened.executionProvider, fallbackReason: opened.fallbackReason });
    return opened;
  }

  private async analyze(params: Params<'analyze'>, context: Context<'analyze'>): Promise<RunReport> {
    const analyzer = await this.analyzerFor(params.model.modelPath, params.model.device, context.progress);
    const report = await analyzer.analyze(params.prompt, toAnalyzeOptions(params.options, context.signal));
    if (context.signal.aborted) throw new CancelledError();
    return { runId: params.runId, report: toReportArrays(report) };
  }

  private async attentionMap(params: Params<'attentionMap'>, context: Context<'attentionMap'>) {
    const key = JSON.stringify([params.model, params.prompt, params.options.addBos, params.layer]);
    let maps = this.lastMaps?.key === key ? this.lastMaps.maps : undefined;
    if (!maps) {
      this.lastMaps = null; // free the previous layer before computing the next
      const analyzer = await this.analyzerFor(params.model.modelPath, params.model.device, context.progress);
      maps = await analyzer.attentionMaps(params.prompt, params.layer, toAnalyzeOptions(params.options, context.signal));
      this.lastMaps = { key, maps };
    }
    const head = params.head >= 0 && params.head < maps.heads ? params.head : -1;
    // slice() so the message owns a compact buffer, not a view into all heads.
    const data = selectHead(maps.data, maps.heads, maps.tokens, head).slice();
    return { runId: params.runId, layer: maps.layer, head, heads: maps.heads, tokens: maps.tokens, data };
  }
}

function toAnalyzeOptions(options: RunOptions, signal: AbortSignal): AnalyzeOptions {
  return { addBos: options.addBos, epsilon: options.epsilon, maxTokens: options.maxTokens, truncate: options.truncate, signal };
}
