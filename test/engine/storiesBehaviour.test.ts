/**
 * What the real stories260K model shows, as the report must say it: a high-norm BOS after block 0
 * (about 8.2 against about 4 for the other positions) and no strong attention sink.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../src/engine/analyzer';
import { median } from '../../src/protocol/measures';
import { describeVerdict } from '../../src/protocol/verdict';
import { sharedModelsMissing, stories260k } from '../support/paths';

const STORY_PROMPTS = [
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.',
  'Tom and his dog went to the big hill. They saw a red ball and ran after it.',
  'One day, a small bird found a shiny stone. The bird was very happy and sang a song.',
  'Sam wanted to bake a cake for his mom. He asked his dad to help him with the eggs.',
];

describe('stories260k, a real negative case', { skip: sharedModelsMissing() ?? false }, () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.open(stories260k, { device: 'cpu' });
  });
  after(() => analyzer?.dispose());

  it('reads its BOS id and adds it by default, as tokenizer_config.json says', () => {
    assert.equal(analyzer.model.bosTokenId, 1);
    assert.equal(analyzer.addsBosByDefault, true);
    assert.equal(analyzer.model.kvHeads, 4, 'inferred from the k/q projection widths');
  });

  it('BOS has a high norm after block 0 but there is no sink', async () => {
    const indicators: number[] = [];
    for (const text of STORY_PROMPTS) {
      const report = await analyzer.analyze({ kind: 'text', text, source: 'test' }, { addBos: true });
      const afterBlock0 = report.residual.norms[report.residual.depths.indexOf(1)] as number[];
      assert.ok(Math.abs(afterBlock0[0] - 8.21) < 0.01, `BOS norm after block 0 is ${afterBlock0[0]}`);
      const others = median(afterBlock0.slice(1));
      assert.ok(others > 3 && others < 5, `the other positions' median norm is ${others}`);
      indicators.push(report.attention.sinkRate.all);
      assert.equal(report.circuit.sinkOnsetLayer, null, `no layer sinks on average (${text})`);
      assert.match(describeVerdict(report).headline, /no attention sink/i);
    }
    const meanRate = indicators.reduce((a, b) => a + b, 0) / indicators.length;
    assert.ok(meanRate < 0.1, `sink rate over story prompts is ${meanRate}, far from a sink`);
  });
});
