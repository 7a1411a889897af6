/**
 * A model whose blocks run attention and MLP in parallel (GPT-NeoX, as Pythia) has no residual
 * state after a block's attention: every document reports the depths that exist (0, 1, …, L),
 * never a made-up l + 0.5, and every quantity over depths (P0 norm ratio, formation depth,
 * concentration, cross-input cosine, ablation curves, traces) follows those depths. The numbers
 * themselves are checked against the PyTorch reference in hfCheckpointParity / referenceParity.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeBatch } from '../../src/engine/analyses/batchAnalysis';
import { compareBos } from '../../src/engine/analyses/bosComparison';
import { ablateHeads } from '../../src/engine/analyses/headAblation';
import { Analyzer } from '../../src/engine/analyzer';
import { runTrace } from '../../src/engine/trace/traceRunner';
import { formatSummary } from '../../src/cli/summaryText';
import type { PromptInput } from '../../src/engine/api';
import { hfCheckpoint } from '../support/hfFixtures';
import { torchMissing } from '../support/torchReference';

const DEPTHS = [0, 1, 2, 3];
const PROMPTS = ['hello world, and more', 'print(value) if ready', 'the sink grows at BOS'];
const text = (prompt: string): PromptInput => ({ kind: 'text', text: prompt, source: 'test' });

describe('parallel attention + MLP blocks: block outputs only, in every document', { skip: torchMissing() ?? false }, () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.open(hfCheckpoint('hf-neox'), { device: 'cpu' });
  });
  after(() => analyzer?.dispose());

  it('the report: depths 0 … L, the layout says parallel, the summary says why there is no l + 0.5', async () => {
    const report = await analyzer.analyze(text(PROMPTS[0]), { addBos: true });
    assert.deepEqual(report.residual.depths, DEPTHS);
    assert.equal(report.residual.norms.length, DEPTHS.length);
    assert.equal(report.residual.p0NormRatio.length, DEPTHS.length);
    assert.equal(report.residual.p0Separation.length, DEPTHS.length);
    assert.deepEqual(
      report.massiveActivations.map((entry) => entry.depth),
      DEPTHS,
    );
    assert.deepEqual(
      report.model.layout?.layers.map((layer) => layer.residual),
      ['parallel', 'parallel', 'parallel'],
    );
    assert.ok(report.circuit.formationDepth === null || Number.isInteger(report.circuit.formationDepth), 'a formation depth is a block output');
    assert.match(formatSummary(report), /every block runs attention and MLP in parallel on h\[l\]: h\[l \+ 1\] is the only state after the block, so there is no depth l \+ 0\.5/);
  });

  it('with and without BOS, many prompts at once, and head ablation', async () => {
    const bos = await compareBos(analyzer, PROMPTS[0], 'test', {});
    assert.deepEqual(bos.withBos.residual.depths, DEPTHS);
    assert.deepEqual(bos.withoutBos.residual.depths, DEPTHS);
    const batch = await analyzeBatch(analyzer, PROMPTS.map(text), { addBos: true });
    assert.deepEqual(batch.crossInputCosine.depths, DEPTHS);
    assert.equal(batch.crossInputCosine.values.length, DEPTHS.length);
    assert.equal(batch.p0Separation.length, DEPTHS.length);
    const ablation = await ablateHeads(analyzer, PROMPTS.map(text), [[{ layer: 0, head: 1 }]], { addBos: true });
    assert.deepEqual(ablation.depths, DEPTHS);
    for (const variant of [ablation.baseline, ...ablation.variants]) {
      assert.equal(variant.p0NormRatio.length, DEPTHS.length);
      assert.equal(variant.crossInputCosineP0.length, DEPTHS.length);
    }
    // Depth 1 is the output of block 0, which the ablated head is part of: the curve parts there.
    assert.notEqual(ablation.variants[0].p0NormRatio[1], ablation.baseline.p0NormRatio[1]);
    assert.equal(ablation.variants[0].p0NormRatio[0], ablation.baseline.p0NormRatio[0]);
  });

  it('a trace over checkpoints of the same shape', async () => {
    const tokenizer = join(hfCheckpoint('hf-neox'), 'tokenizer.json');
    const checkpoints = [
      { step: 0, path: hfCheckpoint('hf-neox-bf16'), tokenizer },
      { step: 100, path: hfCheckpoint('hf-neox'), tokenizer },
    ];
    const trace = await runTrace(checkpoints, { prompts: PROMPTS.slice(0, 2), device: 'cpu', cacheFolder: mkdtempSync(join(tmpdir(), 'sink-lens-parallel-trace-')) });
    for (const checkpoint of trace.checkpoints) {
      assert.deepEqual(checkpoint.depths, DEPTHS);
      assert.equal(checkpoint.p0NormRatio.length, DEPTHS.length);
    }
  });
});
