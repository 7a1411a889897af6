import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalyzeOptions, PromptInput } from '../../src/engine/api';
import { CancelledError, SinkLensError } from '../../src/engine/errors';
import type { SinkReport } from '../../src/protocol/report';
import type { ModelOpened } from '../../src/protocol/channels/worker';
import { mlpLayers, toJsonReport } from '../../src/protocol/runReport';
import { AnalysisService, type AnalyzerLike } from '../../src/worker/analysisService';
import { fakeReport } from '../support/fakeReport';
import { workerChannel } from '../support/workerChannel';

class FakeAnalyzer implements AnalyzerLike {
  readonly model = fakeReport().model;
  readonly executionProvider = 'cpu' as const;
  readonly fallbackReason = null;
  calls: string[] = [];
  gate: Promise<void> = Promise.resolve();
  async analyze(_input: PromptInput, options: AnalyzeOptions): Promise<SinkReport> {
    this.calls.push('analyze');
    await this.gate;
    if (options.signal?.aborted) throw new CancelledError();
    return fakeReport();
  }
  async attentionMaps(_input: PromptInput, layer: number) {
    this.calls.push(`maps${layer}`);
    // Every head: rows [1,0,0], [0.5,0.5,0], [0.2,0.3,0.5].
    const one = [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5];
    return { layer, heads: 2, tokens: 3, data: Float32Array.from([...one, ...one]) };
  }
  async dispose() {}
}

function harness(open = async () => new FakeAnalyzer() as AnalyzerLike) {
  let opened = 0;
  // Stands in for the engine's AnalyzerPool: each request asks it for the analyzer.
  const pool = {
    get: async () => {
      opened++;
      return open();
    },
    disposeAll: async () => undefined,
  };
  const service = new AnalysisService(pool);
  return { ...workerChannel(service.handlers()), opened: () => opened };
}

const request = (runId: string) => ({
  runId,
  model: { modelPath: '/m', device: 'cpu' as const },
  prompt: { kind: 'text' as const, text: 'ab', source: 't' },
  options: { addBos: true, epsilon: 0.3, maxTokens: 0 },
});

describe('AnalysisService (the worker logic) through the worker channel', () => {
  it('replies to a run with its whole report, once, its bulk arrays typed; after the model opened', async () => {
    const analyzer = new FakeAnalyzer();
    const { host, sent } = harness(async () => analyzer);
    const progress: ModelOpened[] = [];
    const { runId, report } = await host.request('analyze', request('r1'), { onProgress: (opened) => progress.push(opened) });
    assert.deepEqual(sent(), ['progress:modelOpened', 'reply']);
    assert.equal(runId, 'r1');
    assert.equal(progress[0].executionProvider, 'cpu');
    assert.ok(report.residual.norms[0] instanceof Float32Array);
    assert.ok(report.attention.firstTokenAttention[0][0] instanceof Float32Array);
    assert.ok(report.attention.received?.every((row) => row instanceof Float32Array));
    assert.ok(report.mlp.layers.every((entry) => entry.norms === null || entry.norms instanceof Float32Array));
    // The same report as the engine's, written back as JSON.
    assert.deepEqual(JSON.parse(JSON.stringify(toJsonReport(report))), fakeReport());
    // The MLP's P0 against the others' median (all equal here): ratio 1.
    assert.deepEqual(mlpLayers(report).find((entry) => entry.layer === 1)?.atP0, { norm: 2, othersMedian: 2, ratio: 1 });
    // The shading is the report's own attention.received, from the analysis's one run: no map passes.
    assert.deepEqual(
      report.attention.received!.map((row) => Array.from(row)),
      fakeReport().attention.received,
    );
    assert.deepEqual(analyzer.calls, ['analyze']);
  });

  it("runs one request at a time and answers attention maps as Float32Array, reusing a layer's maps", async () => {
    const analyzer = new FakeAnalyzer();
    const { host, sent, opened } = harness(async () => analyzer);
    const order: string[] = [];
    const run = host.request('analyze', request('r1')).then(() => order.push('run'));
    const first = host.request('attentionMap', { ...request('r1'), layer: 1, head: 1 }).then((map) => (order.push('map'), map));
    const second = host.request('attentionMap', { ...request('r1'), layer: 1, head: -1 });
    const [, map, mean] = await Promise.all([run, first, second]);
    assert.deepEqual(order, ['run', 'map'], 'the second request waited for the first');
    assert.equal(opened(), 2, 'the pool was asked by the run and by the first map request only');
    assert.ok(map.data instanceof Float32Array && map.layer === 1 && map.head === 1);
    assert.equal(map.data.length, 9, 'one head: [T][T]');
    assert.equal(mean.head, -1);
    // Layer 1's maps were computed once, for the first map request (the run's attention received
    // came from its report); the second request (another head, same layer) reused them.
    assert.equal(analyzer.calls.filter((call) => call === 'maps1').length, 1);
    assert.equal(sent().filter((kind) => kind === 'reply').length, 3);
  });

  it('cancels a queued request at once, without waiting for the running one, and a running one', async () => {
    const analyzer = new FakeAnalyzer();
    let release!: () => void;
    analyzer.gate = new Promise((resolve) => (release = resolve));
    const { host, sent } = harness(async () => analyzer);
    const running = new AbortController();
    const queued = new AbortController();
    // The host's own cancel: tell the worker (the extension's client decides when to kill instead).
    const first = host.request('analyze', request('r1'), { signal: running.signal });
    const second = host.request('analyze', request('r2'), { signal: queued.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    queued.abort();
    await assert.rejects(second, (error: Error) => error.name === 'SinkLensError' && /cancelled/.test(error.message));
    // The worker said so while the first request still waited on its gate.
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(sent(), ['progress:modelOpened', 'error']);
    const firstFailed = assert.rejects(first, /cancelled/);
    running.abort();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the cancel reaches the worker while the run waits
    release();
    await firstFailed;
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(sent().includes('reply'), false, 'the cancelled run sent no report');
    assert.deepEqual(sent().slice(-1), ['error']);
  });

  it('reports engine errors with their category, for every request that meets them', async () => {
    let attempts = 0;
    const { host } = harness(async () => {
      attempts++;
      throw new SinkLensError('model', 'bad-model', 'not an ONNX model: choose a model.onnx');
    });
    const failures = await Promise.allSettled([host.request('analyze', request('r1')), host.request('analyze', request('r2'))]);
    for (const failure of failures) {
      assert.ok(failure.status === 'rejected' && failure.reason instanceof SinkLensError);
      assert.deepEqual([failure.reason.category, failure.reason.code, failure.reason.message], ['model', 'bad-model', 'not an ONNX model: choose a model.onnx']);
    }
    assert.equal(attempts, 2);
  });
});
