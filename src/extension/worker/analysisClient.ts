/**
 * The extension host's side of the analysis worker: forks dist/worker.js on first use and speaks
 * the worker channel (src/protocol/channels/worker.ts) with it: `request(type, params)` returns a
 * promise of the reply, progress arrives tied to its request, everything the worker sends is checked
 * before it is used.
 *
 * Cancelling a request that waits in the worker's queue tells the worker to drop it. Cancelling the
 * one it is running kills the process: a run stuck inside a native onnxruntime call cannot be
 * interrupted, and a new process is the only way to be sure its memory is gone. The requests still
 * in flight then fail as cancelled too; the next request forks a fresh worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { workerChecks, workerHostChecks, type WorkerHostSide, type WorkerSide } from '../../protocol/channels/worker';
import { CancelledError, SinkLensError } from '../../protocol/errors';
import { Endpoint, type Params, type RequestOptions, type RequestType, type Progress, type Result } from '../../protocol/rpc';
import { Disposable } from '../dispose';

/** One forked worker and the endpoint that talks to it. */
interface Connection {
  process: ChildProcess;
  endpoint: Endpoint<WorkerHostSide, WorkerSide>;
}

export class AnalysisClient extends Disposable {
  private connection: Connection | undefined;

  constructor(
    private readonly workerPath: string,
    private readonly log: (line: string) => void,
  ) {
    super();
    this._register({ dispose: () => this.stopWorker(new CancelledError()) });
  }

  /** Whether a worker process is alive and has requests in flight (tests check it goes idle). */
  get busy(): boolean {
    return (this.connection?.endpoint.inFlight().length ?? 0) > 0;
  }

  get workerPid(): number | undefined {
    return this.connection?.process.pid;
  }

  request<K extends RequestType<WorkerSide>>(type: K, params: Params<WorkerSide, K>, options: RequestOptions<Progress<WorkerSide, K>> = {}): Promise<Result<WorkerSide, K>> {
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    return this.connect().endpoint.request(type, params, options);
  }

  /** Stops the worker and fails everything in flight; used by cancellation and on dispose. */
  stopWorker(reason: Error = new CancelledError()): void {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    if (connection.process.exitCode === null) connection.process.kill('SIGKILL');
    connection.endpoint.failAll(reason);
  }

  private connect(): Connection {
    const current = this.connection;
    if (current && current.process.exitCode === null && current.process.connected) return current;
    const worker = fork(this.workerPath, [], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
    this.log(`analysis worker started (pid ${worker.pid})`);
    const endpoint = new Endpoint<WorkerHostSide, WorkerSide>({
      local: workerHostChecks,
      remote: workerChecks,
      send: (envelope) => worker.send(envelope),
      onViolation: (violation) => this.log(`dropped a malformed message from the worker: ${violation.message}`),
      onAbort: (id) => this.abort(connection, id),
    });
    const connection: Connection = { process: worker, endpoint };
    worker.stdout?.setEncoding('utf8').on('data', (text: string) => this.log(`[worker] ${text.trimEnd()}`));
    worker.stderr?.setEncoding('utf8').on('data', (text: string) => this.log(`[worker] ${text.trimEnd()}`));
    worker.on('message', (message: unknown) => this.receive(endpoint, message));
    worker.on('exit', (code, signal) => {
      this.log(`analysis worker exited (code ${code}, signal ${signal})`);
      if (this.connection !== connection) return;
      this.connection = undefined;
      endpoint.failAll(new SinkLensError('runtime', 'worker-exit', `the analysis worker stopped unexpectedly (exit ${code ?? signal}); run the command again`));
    });
    worker.on('error', (error) => this.log(`analysis worker error: ${error.message}`));
    this.connection = connection;
    return connection;
  }

  /** The worker runs requests one at a time in the order sent: the oldest in flight is the running one. */
  private abort(connection: Connection, id: number): void {
    if (connection.endpoint.inFlight()[0] !== id) {
      connection.endpoint.cancel(id);
      return;
    }
    this.log(`request ${id} cancelled while running: stopping the worker to free its memory`);
    if (this.connection === connection) this.stopWorker(new CancelledError());
  }

  private receive(endpoint: Endpoint<WorkerHostSide, WorkerSide>, message: unknown): void {
    const started = performance.now();
    endpoint.receive(message);
    // The extension host must stay responsive during a run: say so when a handler was slow.
    const elapsed = performance.now() - started;
    if (elapsed > 20) this.log(`handling a worker message took ${elapsed.toFixed(0)} ms`);
  }
}
