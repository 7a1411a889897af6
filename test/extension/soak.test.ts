/**
 * Soak inside the real extension host: consecutive analyses through the extension's own client
 * and worker, alternating two models and four prompt lengths. The worker's memory must not grow by
 * 10 % after warm-up, nothing may stay in flight, and the extension host must not accumulate
 * listeners. CI runs 40 analyses; SINK_LENS_SOAK_RUNS=200 runs the full soak.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { bundledModelPath } from '../../src/extension/models/modelPaths';
import type { SinkLens } from '../../src/extension/sinkLens';
import { metrics } from './metrics';

const PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside. ';

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) / 1024;
}

suite('Sink Lens soak in the extension host', () => {
  test('consecutive analyses over two models keep the worker flat and the host clean', async function () {
    const runs = Number(process.env.SINK_LENS_SOAK_RUNS ?? 40);
    this.timeout(runs * 30_000);
    const extension = vscode.extensions.getExtension<SinkLens>('sink-lens.sink-lens')!;
    const api = await extension.activate();
    // The configured model (the tests point it at stories260k when present) and the bundled one.
    const uniqueModels = [...new Set([api.runs.modelPath(), bundledModelPath(extension.extensionPath)])];
    const listenersBefore = process.listenerCount('exit') + process.listenerCount('uncaughtException');
    const warmup = Math.max(8, 4 * uniqueModels.length);
    let warmRss = 0;
    for (let i = 0; i < runs; i++) {
      const modelPath = uniqueModels[Math.floor(i / 2) % uniqueModels.length];
      await api.client.request('analyze', {
        runId: `soak-${i}`,
        model: { modelPath, device: 'cpu' },
        prompt: { kind: 'text', text: PROMPT.repeat(1 + (i % 4)), source: 'soak' },
        options: { addBos: true, epsilon: 0.3, maxTokens: 2048 },
      });
      if (i + 1 === warmup) warmRss = rssMb(api.client.workerPid!);
    }
    const finalRss = rssMb(api.client.workerPid!);
    metrics.soakRuns = runs;
    metrics.soakWorkerRssMb = `${warmRss.toFixed(1)} after warm-up, ${finalRss.toFixed(1)} at the end (${uniqueModels.length} models)`;
    assert.equal(api.client.busy, false, 'nothing stays in flight');
    assert.ok(finalRss < warmRss * 1.1, `the worker's RSS went from ${warmRss.toFixed(0)} MB after warm-up to ${finalRss.toFixed(0)} MB after ${runs} runs`);
    assert.equal(process.listenerCount('exit') + process.listenerCount('uncaughtException'), listenersBefore, 'no process listeners accumulate');
  });
});
