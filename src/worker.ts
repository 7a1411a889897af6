/**
 * Entry of the analysis worker: a child process (forked by src/extension/worker/analysisClient.ts)
 * that owns every onnxruntime session, so a crash or a cancelled run never takes the extension host
 * with it and killing the process frees all of its memory at once. Messages use Node's 'advanced'
 * IPC serialization, which keeps Float32Arrays binary; they are the worker channel's
 * (src/protocol/channels/worker.ts), checked on arrival like every other.
 */
import type { Analyzer } from './engine/analyzer';
import { AnalyzerPool } from './engine/analyzerPool';
import { runTrace } from './engine/trace/traceRunner';
import { workerChecks, workerHostChecks, type WorkerHostSide, type WorkerSide } from './protocol/channels/worker';
import { Endpoint } from './protocol/rpc';
import { AnalysisService } from './worker/analysisService';
import { runMultiAnalysis } from './worker/multiAnalysis';

// Two models stay open (e.g. a model and the one it is compared with); older ones are released.
// The pool holds engine Analyzers, which the multi-run analyses need in full.
const service = new AnalysisService(new AnalyzerPool(2), runTrace, (analyzer, request, signal, onProgress) => runMultiAnalysis(analyzer as Analyzer, request, signal, onProgress));

const host = new Endpoint<WorkerSide, WorkerHostSide>({
  local: workerChecks,
  remote: workerHostChecks,
  send: (envelope) => process.send?.(envelope),
  onViolation: (violation) => process.stderr.write(`dropped a malformed message from the host: ${violation.message}\n`),
}).serve(service.handlers());

process.on('message', (message: unknown) => host.receive(message));

// The host going away (reload, crash) must not leave a busy process behind.
process.on('disconnect', () => {
  void service.dispose().finally(() => process.exit(0));
});

host.notify('ready', { pid: process.pid });
