/**
 * Entry of the analysis worker: a child process (forked by src/analysisClient.ts) that owns every
 * onnxruntime session, so a crash or a cancelled run never takes the extension host with it and
 * killing the process frees all of its memory at once. Messages use Node's 'advanced' IPC
 * serialization, which keeps Float32Arrays binary.
 */
import type { Analyzer } from './engine/analyzer';
import { AnalyzerPool } from './engine/analyzerPool';
import { runTrace } from './engine/trace/traceRunner';
import { type FromWorkerMessage, isToWorkerMessage, type ToWorkerMessage } from './protocol/workerMessages';
import { AnalysisService } from './worker/analysisService';
import { runMultiAnalysis } from './worker/multiAnalysis';

function send(message: FromWorkerMessage): void {
  process.send?.(message);
}

// Two models stay open (e.g. a model and the one it is compared with); older ones are released.
// The pool holds engine Analyzers, which the multi-run analyses need in full.
const service = new AnalysisService(new AnalyzerPool(2), send, runTrace, (analyzer, request, signal, onProgress) =>
  runMultiAnalysis(analyzer as Analyzer, request, signal, onProgress),
);

process.on('message', (message: unknown) => {
  if (isToWorkerMessage(message)) service.handle(message as ToWorkerMessage);
});

// The host going away (reload, crash) must not leave a busy process behind.
process.on('disconnect', () => {
  void service.dispose().finally(() => process.exit(0));
});

send({ type: 'ready', pid: process.pid });
