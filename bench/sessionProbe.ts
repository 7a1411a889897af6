/**
 * Preloaded into a CLI process (`node --require out/bench/sessionProbe.js dist/cli.js …`) by
 * hfBench.ts: records the process's peak RSS and elapsed time at the moment the first onnxruntime
 * session is about to be created (everything Sink Lens does before onnxruntime loads the weights),
 * and CPU time and peak RSS at exit, into the JSON file named by SINK_LENS_BENCH_OUT. The CLI
 * itself is unchanged: its onnxruntime-node is this same module (kept outside the bundle).
 */
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const out = process.env.SINK_LENS_BENCH_OUT;
const record: Record<string, number> = {};
const megabytes = () => process.resourceUsage().maxRSS / 1024;
const create = ort.InferenceSession.create;

ort.InferenceSession.create = ((...args: Parameters<typeof create>) => {
  if (record.peakRssBeforeSessionMb === undefined) {
    record.peakRssBeforeSessionMb = megabytes();
    record.msBeforeSession = performance.now();
  }
  return create.apply(ort.InferenceSession, args);
}) as typeof create;

process.on('exit', () => {
  const usage = process.resourceUsage();
  record.peakRssMb = usage.maxRSS / 1024;
  record.cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  if (out) writeFileSync(out, JSON.stringify(record));
});
