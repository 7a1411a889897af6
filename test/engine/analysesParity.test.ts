/**
 * The multi-run analyses against the PyTorch reference: head ablation (zeroing a head's output
 * before the output projection in PyTorch), the batched sweep against separate runs, and the
 * cross-input cosine of P0's hidden state recomputed from the reference's own P0 vectors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../src/engine/analyzer';
import { analyzeBatch } from '../../src/engine/analyses/batchAnalysis';
import { compareBos } from '../../src/engine/analyses/bosComparison';
import { substituteFirstToken } from '../../src/engine/analyses/firstTokenSubstitution';
import { sweepLayer } from '../../src/engine/analyses/headAblation';
import { assertClose } from '../support/compare';
import { sharedModelsMissing, stories260k } from '../support/paths';
import { runReference, torchMissing } from '../support/torchReference';

const PROMPTS = [
  [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315],
  [1, 500, 262, 300, 411, 322, 265, 282, 295, 433, 426],
  [1, 376, 296, 400, 359, 382, 389, 300, 402, 262, 268, 400, 281],
];

describe('analyses match the PyTorch reference on stories260k', { skip: sharedModelsMissing() ?? torchMissing() ?? false }, () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.open(stories260k, { device: 'cpu' });
  });
  after(() => analyzer?.dispose());

  it('ablating heads equals zeroing them in PyTorch', async () => {
    const ids = PROMPTS[0];
    const { layers, heads } = analyzer.model;
    const mask = Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => (l === 0 && (h === 3 || h === 5) ? 0 : 1)));
    const ones = mask.map((row) => row.map(() => 1));
    const probes = await analyzer.probe({ rows: [ids, ids], headMask: [ones, mask] });
    const input = { kind: 'ids' as const, ids, source: 'test' };
    const prompt = await analyzer.tokenize(input, { addBos: false });
    const ablated = analyzer.report(probes, 1, input, prompt, { addBos: false });
    const reference = runReference(join(stories260k, 'model.onnx'), ids, ['--ablate', '0:3,0:5', '--no-logits']);
    assertClose(ablated.residual.norms, reference.norms, 'ablated residual norms');
    assertClose(ablated.attention.firstTokenAttention, reference.firstTokenAttention, 'ablated first-token attention');
    assertClose(
      ablated.mlp.layers.map((layer) => layer.norms),
      reference.mlpNorms,
      'ablated MLP norms',
    );
    const unablated = analyzer.report(probes, 0, input, prompt, { addBos: false });
    assert.notDeepEqual(unablated.residual.norms[2], ablated.residual.norms[2], 'the ablation changes the state after block 0');
  });

  it('a layer sweep in one batch equals one ablation per run', async () => {
    const inputs = PROMPTS.map((ids) => ({ kind: 'ids' as const, ids, source: 'test' }));
    const sweep = await sweepLayer(analyzer, inputs, 0, { addBos: false });
    assert.equal(sweep.variants.length, analyzer.model.heads);
    const head = 6;
    const reference = PROMPTS.map((ids) => runReference(join(stories260k, 'model.onnx'), ids, ['--ablate', `0:${head}`, '--no-logits']));
    const ratios = reference.map((run) => run.norms.map((norms) => norms[0] / median(norms.slice(1))));
    const meanRatios = ratios[0].map((_, d) => ratios.reduce((sum, perPrompt) => sum + perPrompt[d], 0) / ratios.length);
    assertClose(sweep.variants[head].p0NormRatio, meanRatios, `mean P0 norm ratio with L0H${head} ablated`);
    const cosines = reference[0].p0Hidden.map((_, d) => meanPairwise(reference.map((run) => run.p0Hidden[d])));
    assertClose(sweep.variants[head].crossInputCosineP0, cosines, `cross-input cosine at P0 with L0H${head} ablated`, 1e-4, 1e-5);
  });

  it('cross-input cosine at P0 equals the cosine of the reference P0 states', async () => {
    const inputs = PROMPTS.map((ids) => ({ kind: 'ids' as const, ids: ids.slice(1), source: 'test' })); // without BOS, P0 differs per prompt
    const batch = await analyzeBatch(analyzer, inputs, { addBos: false, positions: 4 });
    const reference = PROMPTS.map((ids) => runReference(join(stories260k, 'model.onnx'), ids.slice(1), ['--no-logits']));
    const expected = reference[0].p0Hidden.map((_, d) => meanPairwise(reference.map((run) => run.p0Hidden[d])));
    assertClose(
      batch.crossInputCosine.values.map((row) => row[0]),
      expected,
      'cross-input cosine at P0 per depth',
      1e-4,
      1e-5,
    );
    assert.equal(batch.sinkRate.all, batch.prompts.reduce((sum, prompt) => sum + prompt.sinkRate.all, 0) / 3, 'rates are thresholded per prompt, then averaged');
  });

  it('compares with and without BOS on the same text', async () => {
    const comparison = await compareBos(analyzer, 'Once upon a time, there was a little girl named Lily.', 'test', {});
    assert.equal(comparison.withBos.tokens[0].id, 1);
    assert.equal(comparison.withoutBos.tokens.length, comparison.withBos.tokens.length - 1);
    assert.ok(comparison.withBos.residual.p0NormRatio[2]! > 2, 'BOS is high-norm after block 0');
    assert.ok(comparison.withoutBos.residual.p0NormRatio[2]! < 1.5, 'a plain first token is not');
  });

  it('first-token substitution reports what stories260k really does: no sink to follow', async () => {
    const doc = await substituteFirstToken(analyzer, { kind: 'text', text: 'Once upon a time, there was a little girl named Lily.', source: 'test' }, { addBos: true });
    assert.equal(doc.variants[0].label, 'original');
    assert.equal(doc.variants[0].firstTokenId, 1);
    assert.ok(doc.variants.length >= 4, 'original, repeated, random and punctuation');
    assert.equal(doc.finding, 'no-sink');
    assert.match(doc.explanation, /no sink to follow/);
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((sum, value, i) => sum + value * b[i], 0);
  return dot / Math.hypot(...a) / Math.hypot(...b);
}

function meanPairwise(vectors: number[][]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < vectors.length; i++) for (let j = i + 1; j < vectors.length; j++, pairs++) sum += cosine(vectors[i], vectors[j]);
  return sum / pairs;
}
