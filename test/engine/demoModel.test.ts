/**
 * The bundled demo model (models/sinklet, made by tools/sinklet): what issue #3 promises, measured
 * by the engine itself on every sample prompt and on small variations of them, and the emergence
 * of the sink across its checkpoint series.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer, bundledModelPath } from '../../src/engine/analyzer';
import { sinkRate } from '../../src/engine/metrics';
import type { SinkReport } from '../../src/protocol/report';
import { discoverCheckpoints } from '../../src/engine/trace/checkpoints';
import { runTrace } from '../../src/engine/trace/traceRunner';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const model = bundledModelPath();
const samples = readFileSync(join(model, 'samples.txt'), 'utf8')
  .split('\n')
  .filter((line) => line.trim());

/** sinkRate over layers >= 1 at eps 0.3, and the best P0 norm ratio at depths <= 2. */
function thresholds(report: SinkReport) {
  const rateFromLayer1 = sinkRate(report.attention.sinkScore, 0.3, 1)!;
  const ratioByDepth2 = Math.max(...report.residual.depths.map((depth, i) => (depth <= 2 ? (report.residual.p0NormRatio[i] ?? 0) : 0)));
  return { rateFromLayer1, ratioByDepth2 };
}

/** Small edits of a task prompt: a word swapped, the end cut, the prompt doubled. */
function variations(sample: string): string[] {
  const words = sample.split(' ');
  const swapped = [...words];
  [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
  return [swapped.join(' '), words.slice(0, Math.max(6, words.length - 5)).join(' '), `${sample} ${words.slice(0, 8).join(' ')}`];
}

describe('bundled demo model (models/sinklet)', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.open(model, { device: 'cpu' });
  });
  after(() => analyzer?.dispose());

  it('has samples and a BOS token it adds by default', () => {
    assert.ok(samples.length >= 3, 'samples.txt lists the demo prompts');
    assert.notEqual(analyzer.model.bosTokenId, null);
    assert.equal(analyzer.addsBosByDefault, true);
  });

  for (const [index, sample] of samples.entries()) {
    it(`sample ${index + 1} and its variations: sink rate over layers >= 1 of at least 0.5, P0 norm ratio >= 2 by depth 2`, async () => {
      for (const text of [sample, ...variations(sample)]) {
        const report = await analyzer.analyze({ kind: 'text', text, source: 'test' }, { addBos: true });
        assert.ok(
          report.tokens.slice(1).every((token) => !token.text.startsWith('<0x')),
          `the task words tokenize as words: ${text}`,
        );
        const { rateFromLayer1, ratioByDepth2 } = thresholds(report);
        assert.ok(rateFromLayer1 >= 0.5, `sink rate over layers >= 1 is ${rateFromLayer1} for ${JSON.stringify(text)}`);
        assert.ok(ratioByDepth2 >= 2, `best P0 norm ratio by depth 2 is ${ratioByDepth2} for ${JSON.stringify(text)}`);
      }
    });
  }

  it('the checkpoint series shows the sink and the P0 norm emerging from step 0', async () => {
    const checkpoints = discoverCheckpoints(join(model, 'checkpoints'));
    assert.ok(checkpoints.length >= 8 && checkpoints[0].step === 0, 'at least 8 checkpoints, from step 0');
    const trace = await runTrace(checkpoints, { prompts: samples, device: 'cpu', cacheFolder: mkdtempSync(join(tmpdir(), 'sink-lens-demo-trace-')) });
    const first = trace.checkpoints[0];
    const last = trace.checkpoints[trace.checkpoints.length - 1];
    assert.ok(first.sinkRate.all < 0.1, `no sink at step 0 (${first.sinkRate.all})`);
    assert.ok(last.sinkRate.all >= 0.5, `a sink at the end (${last.sinkRate.all})`);
    const maxRatio = (c: typeof first) => Math.max(...c.p0NormRatio.map((ratio) => ratio ?? 0));
    assert.ok(maxRatio(last) > 2 * maxRatio(first), `P0 norm ratio grows (${maxRatio(first)} → ${maxRatio(last)})`);
    assert.ok(last.loss < first.loss, 'and the model learns');
  });
});
