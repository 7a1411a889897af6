/**
 * The extension host's side of the analysis worker: forks dist/worker.js on first use, pairs
 * replies with requests, and turns cancellation into killing the process. Killing is deliberate:
 * a run stuck inside a native onnxruntime call cannot be interrupted, and a new process is the
 * only way to be sure its memory is gone. The next request forks a fresh worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { CancelledError, SinkLensError } from '../../protocol/errors';
import type { ExecutionProvider, ModelSummary } from '../../protocol/report';
import type { Checkpoint, TraceCheckpoint, TraceDocument } from '../../protocol/trace';
import { Disposable } from '../dispose';
import type { AttentionMapPayload, RunLayer, RunReceived, RunSummary } from '../../protocol/runParts';
import type { FromWorkerMessage, MultiAnalysisRequest, MultiAnalysisResult, ToWorkerMessage, WorkerTraceOptions } from '../../protocol/workerMessages';
import type { ModelRef, PromptInput, RunOptions } from '../../protocol/inputs';

export interface RunHandlers {
  onModelOpened?(model: ModelSummary, executionProvider: ExecutionProvider, fallbackReason: string | null): void;
  onSummary?(summary: RunSummary): void;
  onLayer?(layer: RunLayer): void;
  onReceived?(received: RunReceived): void;
}

export interface AnalysisRequest {
  runId: string;
  model: ModelRef;
  prompt: PromptInput;
  options: RunOptions;
}

interface Pending {
  handlers: RunHandlers;
  onAttentionMap?(map: AttentionMapPayload): void;
  onTraceCheckpoint?(checkpoint: TraceCheckpoint, index: number, total: number, cached: boolean): void;
  onTraceResult?(trace: TraceDocument): void;
  onMultiProgress?(done: number, total: number): void;
  onMultiResult?(result: MultiAnalysisResult): void;
  resolve(): void;
  reject(error: Error): void;
}

export class AnalysisClient extends Disposable {
  private worker: ChildProcess | undefined;
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly workerPath: string,
    private readonly log: (line: string) => void,
  ) {
    super();
    this._register({ dispose: () => this.stopWorker(new CancelledError()) });
  }

  /** Whether a worker process is alive and has requests in flight (tests check it goes idle). */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  analyze(request: AnalysisRequest, handlers: RunHandlers, signal?: AbortSignal, withReceived = true): Promise<void> {
    return this.request(
      (requestId) => ({ type: 'analyze', requestId, withReceived, ...request }),
      { handlers },
      signal,
    );
  }

  attentionMap(request: AnalysisRequest, layer: number, head: number, signal?: AbortSignal): Promise<AttentionMapPayload> {
    let result: AttentionMapPayload | undefined;
    return this.request(
      (requestId) => ({ type: 'attentionMap', requestId, layer, head, ...request }),
      { handlers: {}, onAttentionMap: (map) => (result = map) },
      signal,
    ).then(() => {
      if (!result) throw new SinkLensError('runtime', 'no-map', 'the worker finished without sending the attention map');
      return result;
    });
  }

  /** A checkpoint trace in the worker; cancelling (signal) kills the worker, finished checkpoints stay cached. */
  trace(
    checkpoints: Checkpoint[],
    options: WorkerTraceOptions,
    onCheckpoint: (checkpoint: TraceCheckpoint, index: number, total: number, cached: boolean) => void,
    signal?: AbortSignal,
  ): Promise<TraceDocument> {
    let result: TraceDocument | undefined;
    return this.request(
      (requestId) => ({ type: 'trace', requestId, checkpoints, options }),
      { handlers: {}, onTraceCheckpoint: onCheckpoint, onTraceResult: (trace) => (result = trace) },
      signal,
    ).then(() => {
      if (!result) throw new SinkLensError('runtime', 'no-trace', 'the worker finished without sending the trace');
      return result;
    });
  }

  /** One of the paper's multi-run analyses in the worker; cancelling (signal) kills the worker. */
  multiAnalysis(
    model: ModelRef,
    request: MultiAnalysisRequest,
    onProgress?: (done: number, total: number) => void,
    signal?: AbortSignal,
    onModelOpened?: RunHandlers['onModelOpened'],
  ): Promise<MultiAnalysisResult> {
    let result: MultiAnalysisResult | undefined;
    return this.request(
      (requestId) => ({ type: 'multiAnalysis', requestId, model, request }),
      { handlers: { onModelOpened }, onMultiProgress: onProgress, onMultiResult: (value) => (result = value) },
      signal,
    ).then(() => {
      if (!result) throw new SinkLensError('runtime', 'no-result', 'the worker finished without sending the analysis');
      return result;
    });
  }

  /** Stops the worker and fails everything in flight; used by cancellation and on dispose. */
  stopWorker(reason: Error = new CancelledError()): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const entry of pending) entry.reject(reason);
  }

  private request(
    build: (requestId: number) => ToWorkerMessage,
    pending: Omit<Pending, 'resolve' | 'reject'>,
    signal?: AbortSignal,
  ): Promise<void> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const requestId = this.nextRequestId++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.log(`request ${requestId} cancelled: stopping the worker to free its memory`);
        // Other requests share the process: they fail as cancelled too, and are re-run on demand.
        this.stopWorker(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(requestId, {
        ...pending,
        resolve: () => (settle(), resolve()),
        reject: (error) => (settle(), reject(error)),
      });
      try {
        this.ensureWorker().send(build(requestId));
      } catch (error) {
        this.pending.get(requestId)?.reject(error instanceof Error ? error : new Error(String(error)));
        this.pending.delete(requestId);
      }
    });
  }

  private ensureWorker(): ChildProcess {
    if (this.worker && this.worker.exitCode === null && this.worker.connected) return this.worker;
    const worker = fork(this.workerPath, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    this.log(`analysis worker started (pid ${worker.pid})`);
    worker.stdout?.setEncoding('utf8').on('data', (text: string) => this.log(`[worker] ${text.trimEnd()}`));
    worker.stderr?.setEncoding('utf8').on('data', (text: string) => this.log(`[worker] ${text.trimEnd()}`));
    worker.on('message', (message: FromWorkerMessage) => this.onMessage(message));
    worker.on('exit', (code, signal) => {
      this.log(`analysis worker exited (code ${code}, signal ${signal})`);
      if (this.worker !== worker) return;
      this.worker = undefined;
      const error = new SinkLensError('runtime', 'worker-exit', `the analysis worker stopped unexpectedly (exit ${code ?? signal}); run the command again`);
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const entry of pending) entry.reject(error);
    });
    worker.on('error', (error) => this.log(`analysis worker error: ${error.message}`));
    this.worker = worker;
    return worker;
  }

  private onMessage(message: FromWorkerMessage): void {
    const started = performance.now();
    this.dispatch(message);
    // The extension host must stay responsive during a run: say so when a handler was slow.
    const elapsed = performance.now() - started;
    if (elapsed > 20) this.log(`handling '${message.type}' took ${elapsed.toFixed(0)} ms`);
  }

  private dispatch(message: FromWorkerMessage): void {
    if (message.type === 'ready') return;
    const pending = this.pending.get(message.inReplyTo);
    if (!pending) return; // a reply to something already cancelled
    switch (message.type) {
      case 'modelOpened':
        pending.handlers.onModelOpened?.(message.model, message.executionProvider, message.fallbackReason);
        break;
      case 'runSummary':
        pending.handlers.onSummary?.(message.summary);
        break;
      case 'runLayer':
        pending.handlers.onLayer?.(message.layer);
        break;
      case 'runReceived':
        pending.handlers.onReceived?.(message.received);
        break;
      case 'attentionMap':
        pending.onAttentionMap?.(message.map);
        break;
      case 'traceCheckpoint':
        pending.onTraceCheckpoint?.(message.checkpoint, message.index, message.total, message.cached);
        break;
      case 'traceResult':
        pending.onTraceResult?.(message.trace);
        break;
      case 'multiProgress':
        pending.onMultiProgress?.(message.done, message.total);
        break;
      case 'multiResult':
        pending.onMultiResult?.(message.result);
        break;
      case 'done':
        this.pending.delete(message.inReplyTo);
        pending.resolve();
        break;
      case 'error': {
        this.pending.delete(message.inReplyTo);
        const { category, code, message: text } = message.error;
        pending.reject(category === 'cancelled' ? new CancelledError() : new SinkLensError(category, code, text));
        break;
      }
    }
  }
}
