/**
 * The worker channel in one process: the host's endpoint and the worker's, joined as the child
 * process's IPC joins them (every message structured-cloned, as Node's 'advanced' serialization
 * does), with everything the worker sends recorded in order.
 */
import { workerChecks, workerHostChecks, type WorkerHostSide, type WorkerSide } from '../../src/protocol/channels/worker';
import { Endpoint, type Envelope, type RequestHandlers } from '../../src/protocol/rpc';

export function workerChannel(handlers: RequestHandlers<WorkerSide>) {
  const fromWorker: Envelope[] = [];
  const host: Endpoint<WorkerHostSide, WorkerSide> = new Endpoint<WorkerHostSide, WorkerSide>({
    local: workerHostChecks,
    remote: workerChecks,
    send: (envelope) => setImmediate(() => worker.receive(structuredClone(envelope))),
  });
  const worker: Endpoint<WorkerSide, WorkerHostSide> = new Endpoint<WorkerSide, WorkerHostSide>({
    local: workerChecks,
    remote: workerHostChecks,
    send: (envelope) => {
      fromWorker.push(envelope);
      setImmediate(() => host.receive(structuredClone(envelope)));
    },
  }).serve(handlers);
  /** What the worker sent, as "kind" or "kind:progress type". */
  const sent = () => fromWorker.map((envelope) => (envelope.kind === 'progress' ? `progress:${(envelope.progress as { type: string }).type}` : envelope.kind));
  return { host, worker, fromWorker, sent };
}
