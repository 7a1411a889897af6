/** The worker's 'multiAnalysis' request: plumbing only (the engine functions are tested against PyTorch elsewhere). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FromWorkerMessage, MultiAnalysisResult } from '../../src/shared/protocol';
import { AnalysisService, type AnalyzerLike, type MultiAnalysisRunner } from '../../src/worker/analysisService';

const model = { path: '/m', architecture: 'llama', layers: 2, heads: 2, kvHeads: null, hiddenSize: 4, vocabSize: 10, attention: 'softmax', bosTokenId: 1, dtype: 'float32', slidingWindowLayers: [1] } as const;
const analyzer = { model, executionProvider: 'cpu', fallbackReason: null, analyze: async () => { throw new Error('unused'); }, attentionMaps: async () => { throw new Error('unused'); }, dispose: async () => undefined } as unknown as AnalyzerLike;

async function run(runner?: MultiAnalysisRunner): Promise<FromWorkerMessage[]> {
  const messages: FromWorkerMessage[] = [];
  const service = new AnalysisService({ get: async () => analyzer, disposeAll: async () => undefined }, (message) => messages.push(message), undefined, runner);
  service.handle({
    type: 'multiAnalysis',
    requestId: 7,
    model: { modelPath: '/m', device: 'cpu' },
    request: { kind: 'batch', prompts: [{ kind: 'text', text: 'a', source: 's:1' }, { kind: 'text', text: 'b', source: 's:2' }], options: { addBos: true, epsilon: 0.3, maxTokens: 64 } },
  });
  for (let turn = 0; !messages.some((m) => m.type === 'done' || m.type === 'error'); turn++) {
    if (turn > 10_000) throw new Error('no reply');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return messages;
}

it('runs the runner on the pooled analyzer and answers progress, then the document, then done', async () => {
  const document = { schema: 'sink-lens/batch@1' } as unknown as Extract<MultiAnalysisResult, { kind: 'batch' }>['document'];
  const messages = await run(async (given, request, _signal, onProgress) => {
    assert.equal(given, analyzer);
    assert.equal(request.prompts.length, 2);
    onProgress(1, 2);
    onProgress(2, 2);
    return { kind: 'batch', model: given.model, document };
  });
  assert.deepEqual(messages.map((m) => m.type), ['modelOpened', 'multiProgress', 'multiProgress', 'multiResult', 'done']);
  const result = messages.find((m) => m.type === 'multiResult');
  assert.ok(result && result.type === 'multiResult' && result.result.kind === 'batch' && result.result.document === document);
});

it('says so when the worker has no runner', async () => {
  const messages = await run(undefined);
  const last = messages.at(-1)!;
  assert.ok(last.type === 'error' && last.error.code === 'no-multi', JSON.stringify(last));
});
