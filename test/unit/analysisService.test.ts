import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalyzeOptions, PromptInput } from '../../src/engine/api';
import { CancelledError, SinkLensError } from '../../src/engine/errors';
import type { SinkReport } from '../../src/protocol/report';
import type { FromWorkerMessage } from '../../src/protocol/workerMessages';
import { joinRunParts } from '../../src/protocol/runParts';
import { AnalysisService, type AnalyzerLike } from '../../src/worker/analysisService';

/** A hand-made report for 3 tokens, 2 layers, 2 heads (not a model's numbers: protocol plumbing only;
 * values exact in float32, since the parts travel as Float32Array). */
function fakeReport(): SinkReport {
  const fta = [
    [[1, 0.5, 0.25], [1, 0.25, 0.125]],
    [[1, 0.75, 0.5], [1, 0.5, 0.25]],
  ];
  return {
    schema: 'sink-lens/report@1',
    model: { path: '/m', architecture: 'llama', layers: 2, heads: 2, kvHeads: null, hiddenSize: 4, vocabSize: 10, attention: 'softmax', bosTokenId: 1, dtype: 'float32', slidingWindowLayers: [] },
    runtime: { executionProvider: 'cpu', fallbackReason: null, onnxruntime: 'x', timingsMs: { load: 0, tokenize: 0, run: 0, summarize: 0 } },
    prompt: { text: 'ab', source: 't', bos: true },
    tokens: [
      { id: 1, text: '<s>', start: 0, end: 0, special: true },
      { id: 5, text: 'a', start: 0, end: 1, special: false },
      { id: 6, text: 'b', start: 1, end: 2, special: false },
    ],
    residual: { depths: [0, 0.5, 1], norms: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], p0NormRatio: [0.4, 0.8, 0.8], p0Separation: [null, 0.5, 0.25] },
    attention: { firstTokenAttention: fta, sinkScore: [[0.7, 0.43], [0.9, 0.63]], uniformBaseline: 0.61, sinkRate: { epsilon: 0.3, all: 1, fromLayer2: null } },
    massiveActivations: [],
    mlp: { layers: [{ layer: 0, norms: [1, 1, 1] }, { layer: 1, norms: [2, 2, 2] }] },
    circuit: { formationDepth: null, sinkOnsetLayer: 0, withinTwoBlocks: false, concentration: null },
    warnings: [],
    // A field this protocol does not know must survive the round trip.
    ...({ futureField: { x: 1 } } as object),
  } as SinkReport;
}

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
  const messages: FromWorkerMessage[] = [];
  let opened = 0;
  // Stands in for the engine's AnalyzerPool: each request asks it for the analyzer.
  const pool = {
    get: async () => {
      opened++;
      return open();
    },
    disposeAll: async () => undefined,
  };
  const service = new AnalysisService(pool, (message) => messages.push(message));
  // Waits for the service's messages; a bounded number of turns so a bug fails instead of hanging.
  const until = async (predicate: () => boolean) => {
    for (let turn = 0; !predicate(); turn++) {
      if (turn > 100_000) throw new Error(`the expected messages never came: ${JSON.stringify(messages.map((m) => m.type))}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { service, messages, until, opened: () => opened };
}

const request = (requestId: number) => ({
  type: 'analyze' as const,
  requestId,
  runId: `r${requestId}`,
  withReceived: true,
  model: { modelPath: '/m', device: 'cpu' as const },
  prompt: { kind: 'text' as const, text: 'ab', source: 't' },
  options: { addBos: true, epsilon: 0.3, maxTokens: 0 },
});

describe('AnalysisService (the worker logic)', () => {
  it('streams summary → layers → attention received → done, and the parts join back into the report', async () => {
    const { service, messages, until } = harness();
    service.handle(request(1));
    await until(() => messages.some((m) => m.type === 'done' || m.type === 'error'));
    const types = messages.map((m) => m.type);
    assert.deepEqual(types, ['modelOpened', 'runSummary', 'runLayer', 'runLayer', 'runReceived', 'runReceived', 'done']);
    const summary = messages.find((m) => m.type === 'runSummary')!;
    assert.ok(summary.type === 'runSummary' && summary.summary.norms[0] instanceof Float32Array);
    const layers = messages.flatMap((m) => (m.type === 'runLayer' ? [m.layer] : []));
    assert.ok(layers[0].firstTokenAttention[0] instanceof Float32Array);
    assert.deepEqual(JSON.parse(JSON.stringify(joinRunParts(summary.summary, layers))), fakeReport());
    const received = messages.find((m) => m.type === 'runReceived')!;
    // Key 0 receives (1 + 0.5 + 0.2) / 3 from each head.
    assert.ok(received.type === 'runReceived');
    assert.deepEqual(Array.from(received.received.received).map((v) => +v.toFixed(4)), [0.5667, 0.2667, 0.1667]);
  });

  it('runs one request at a time and answers attention maps as Float32Array, reusing a layer\'s maps', async () => {
    const analyzer = new FakeAnalyzer();
    const analyzerCalls = () => analyzer.calls;
    const { service, messages, until, opened } = harness(async () => analyzer);
    service.handle(request(1));
    service.handle({ ...request(2), type: 'attentionMap', layer: 1, head: 1 } as never);
    service.handle({ ...request(3), type: 'attentionMap', layer: 1, head: -1 } as never);
    await until(() => messages.filter((m) => m.type === 'done').length === 3);
    assert.equal(opened(), 2, 'the pool was asked by the run and by the first map request only');
    const maps = messages.flatMap((m) => (m.type === 'attentionMap' ? [m.map] : []));
    assert.equal(maps.length, 2);
    assert.ok(maps[0].data instanceof Float32Array && maps[0].layer === 1 && maps[0].head === 1);
    assert.equal(maps[0].data.length, 9, 'one head: [T][T]');
    assert.equal(maps[1].head, -1);
    // Layer 1's maps were computed once for the run's attention received and once for the first
    // map request; the second request (another head, same layer) reused them.
    assert.equal(analyzerCalls().filter((call) => call === 'maps1').length, 2);
    const firstDone = messages.findIndex((m) => m.type === 'done');
    assert.ok(messages.findIndex((m) => m.type === 'attentionMap') > firstDone, 'the second request waited for the first');
    void request;
  });

  it('cancels a queued request at once and a running one between stages', async () => {
    const analyzer = new FakeAnalyzer();
    let release!: () => void;
    analyzer.gate = new Promise((resolve) => (release = resolve));
    const { service, messages, until } = harness(async () => analyzer);
    service.handle(request(1));
    service.handle(request(2));
    service.handle({ type: 'cancel', requestId: 2 });
    service.handle({ type: 'cancel', requestId: 1 });
    release();
    await until(() => messages.filter((m) => m.type === 'error').length === 2);
    const errors = messages.flatMap((m) => (m.type === 'error' ? [m] : []));
    assert.deepEqual(errors.map((m) => [m.inReplyTo, m.error.category]).sort(), [[1, 'cancelled'], [2, 'cancelled']]);
    assert.equal(messages.some((m) => m.type === 'runSummary'), false);
  });

  it('reports engine errors with their category, for every request that meets them', async () => {
    let attempts = 0;
    const { service, messages, until } = harness(async () => {
      attempts++;
      throw new SinkLensError('model', 'bad-model', 'not an ONNX model: choose a model.onnx');
    });
    service.handle(request(1));
    service.handle(request(2));
    await until(() => messages.filter((m) => m.type === 'error').length === 2);
    const first = messages.find((m) => m.type === 'error')!;
    assert.ok(first.type === 'error');
    assert.deepEqual(first.error, { category: 'model', code: 'bad-model', message: 'not an ONNX model: choose a model.onnx' });
    assert.equal(attempts, 2);
  });
});
