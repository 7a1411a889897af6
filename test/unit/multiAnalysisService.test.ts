/**
 * The worker's 'multiAnalysis' request: the plumbing (the engine functions are tested against
 * PyTorch elsewhere), and the head-set ablation the report panel's grid asks for, on the demo model.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer, bundledModelPath } from '../../src/engine/analyzer';
import { ablateHeads, parseHeadList } from '../../src/engine/analyses/headAblation';
import { SinkLensError } from '../../src/engine/errors';
import type { BatchDocument } from '../../src/protocol/analyses';
import type { MultiAnalysisRequest, MultiAnalysisResult } from '../../src/protocol/channels/worker';
import type { PromptInput } from '../../src/protocol/inputs';
import { AnalysisService, type AnalyzerLike, type MultiAnalysisRunner } from '../../src/worker/analysisService';
import { runMultiAnalysis } from '../../src/worker/multiAnalysis';
import { workerChannel } from '../support/workerChannel';

const model = {
  path: '/m',
  architecture: 'llama',
  layers: 2,
  heads: 2,
  kvHeads: null,
  hiddenSize: 4,
  vocabSize: 10,
  attention: 'softmax',
  bosTokenId: 1,
  dtype: 'float32',
  slidingWindowLayers: [1],
} as const;
const analyzer = {
  model,
  executionProvider: 'cpu',
  fallbackReason: null,
  analyze: async () => {
    throw new Error('unused');
  },
  attentionMaps: async () => {
    throw new Error('unused');
  },
  dispose: async () => undefined,
} as unknown as AnalyzerLike;

async function run(runner?: MultiAnalysisRunner): Promise<{ sent: string[]; outcome: PromiseSettledResult<MultiAnalysisResult>; progress: unknown[] }> {
  const service = new AnalysisService({ get: async () => analyzer, disposeAll: async () => undefined }, undefined, runner);
  const { host, sent } = workerChannel(service.handlers());
  const progress: unknown[] = [];
  const request: MultiAnalysisRequest = {
    kind: 'batch',
    prompts: [
      { kind: 'text', text: 'a', source: 's:1' },
      { kind: 'text', text: 'b', source: 's:2' },
    ],
    options: { addBos: true, epsilon: 0.3, maxTokens: 64 },
  };
  const [outcome] = await Promise.allSettled([host.request('multiAnalysis', { model: { modelPath: '/m', device: 'cpu' }, request }, { onProgress: (part) => progress.push(part) })]);
  return { sent: sent(), outcome, progress };
}

/** A well-formed batch document of two prompts (plumbing only: the numbers are not a model's). */
const batchDocument: BatchDocument = {
  schema: 'sink-lens/batch@1',
  model: { ...model, slidingWindowLayers: [...model.slidingWindowLayers] },
  runtime: { executionProvider: 'cpu', fallbackReason: null, onnxruntime: 'x' },
  epsilon: 0.3,
  prompts: [],
  sinkRate: { all: 0.5, fromLayer2: null },
  crossInputCosine: { depths: [0, 0.5], positions: [0], values: [[1], [0.5]] },
  p0Separation: [null, 0.25],
  meanP0Hidden: [],
  firstMassiveDepth: null,
  mlp: [],
};

it('runs the runner on the pooled analyzer and answers progress, then the document', async () => {
  const { sent, outcome, progress } = await run(async (given, request, _signal, onProgress) => {
    assert.equal(given, analyzer);
    assert.equal(request.prompts.length, 2);
    onProgress(1, 2);
    onProgress(2, 2);
    return { kind: 'batch', model: given.model, document: batchDocument };
  });
  assert.deepEqual(sent, ['progress:modelOpened', 'progress:multiProgress', 'progress:multiProgress', 'reply']);
  assert.deepEqual(progress.slice(1), [
    { type: 'multiProgress', done: 1, total: 2 },
    { type: 'multiProgress', done: 2, total: 2 },
  ]);
  assert.ok(outcome.status === 'fulfilled' && outcome.value.kind === 'batch');
  assert.deepEqual(outcome.value.document, batchDocument);
});

it('the host refuses a document that is not one (checked where it arrives), with one clear error', async () => {
  const { sent, outcome } = await run(async (given) => ({ kind: 'batch', model: given.model, document: { schema: 'sink-lens/batch@1' } as unknown as BatchDocument }));
  assert.deepEqual(sent.at(-1), 'reply', 'the worker sent it');
  assert.ok(outcome.status === 'rejected' && outcome.reason instanceof SinkLensError);
  assert.equal(outcome.reason.code, 'bad-message');
  assert.match(outcome.reason.message, /multiAnalysis reply\.document\.model: expected an object/);
});

it('says so when the worker has no runner', async () => {
  const { outcome } = await run(undefined);
  assert.ok(outcome.status === 'rejected' && outcome.reason instanceof SinkLensError && outcome.reason.code === 'no-multi', String(outcome.status === 'rejected' && outcome.reason));
});

describe('ablateHeads in the worker (the report grid\'s "Ablate Selected Heads") on the demo model', () => {
  let demo: Analyzer;
  const prompt: PromptInput = { kind: 'text', text: 'Once upon a time, there was a little girl named Lily.', source: 'test:1' };
  const options = { addBos: true, epsilon: 0.3, maxTokens: 256 };
  const request = (heads: MultiAnalysisRequest['heads']): MultiAnalysisRequest => ({ kind: 'ablateHeads', prompts: [prompt], options, heads });
  before(async () => {
    demo = await Analyzer.open(bundledModelPath(), { device: 'cpu' });
  });
  after(() => demo?.dispose());

  it('removes exactly the selected heads together: the same document as `sink-lens ablate --ablate 0:1,1:0`', async () => {
    const result = await runMultiAnalysis(
      demo,
      request([
        { layer: 0, head: 1 },
        { layer: 1, head: 0 },
        { layer: 0, head: 1 },
      ]),
      new AbortController().signal,
      () => undefined,
    );
    assert.equal(result.kind, 'ablateHeads');
    assert.ok(result.kind === 'ablateHeads');
    assert.deepEqual(
      result.heads,
      [
        { layer: 0, head: 1 },
        { layer: 1, head: 0 },
      ],
      'a repeated head is removed once',
    );
    // What the CLI computes for the same prompt (src/cli/analysisCommands.ts).
    const cli = await ablateHeads(demo, [{ kind: 'text', text: prompt.text, source: prompt.source }], [parseHeadList('0:1,1:0', demo.model.layers, demo.model.heads)], { ...options });
    assert.deepEqual(result.document, cli);
    assert.equal(result.document.variants.length, 1);
    assert.equal(result.document.variants[0].label, 'L0H1+L1H0');
    // The ablation really changes the run (a test that cannot fail would not).
    assert.notDeepEqual(result.document.variants[0].p0NormRatio, result.document.baseline.p0NormRatio);
  });

  it('refuses heads the model does not have, and an empty selection, as usage errors', async () => {
    for (const heads of [[{ layer: demo.model.layers, head: 0 }], [{ layer: 0, head: demo.model.heads }], [], undefined]) {
      await assert.rejects(
        runMultiAnalysis(demo, request(heads), new AbortController().signal, () => undefined),
        (error: unknown) => error instanceof SinkLensError && error.category === 'usage' && error.code === 'bad-heads',
        JSON.stringify(heads),
      );
    }
  });
});
