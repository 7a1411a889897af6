import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { circuitVerdict, concentration, lowerMedian, massiveActivation, sinkRate, sinkScores, uniformBaseline } from '../../src/engine/metrics';
import { median, p0NormRatio } from '../../src/protocol/measures';

describe('metrics (docs/ANALYSES.md definitions)', () => {
  it('median of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('p0NormRatio divides P0 by the median of the rest, and needs two tokens', () => {
    assert.equal(p0NormRatio([10, 1, 5, 3]), 10 / 3);
    assert.equal(p0NormRatio([7]), null);
  });

  it('uniformBaseline is the mean of 1/(q+1)', () => {
    assert.equal(uniformBaseline(1), 1);
    assert.equal(uniformBaseline(2), (1 + 1 / 2) / 2);
    assert.ok(Math.abs(uniformBaseline(4) - (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4) < 1e-15);
  });

  it('sinkScore averages attention to key 0 over all queries, q = 0 included', () => {
    assert.deepEqual(
      sinkScores([
        [1, 0.5, 0.3],
        [1, 0, 0],
      ]),
      [0.6, 1 / 3],
    );
  });

  it('sinkRate counts heads strictly above epsilon from a layer on', () => {
    const scores = [
      [0.9, 0.1],
      [0.3, 0.31],
      [0.5, 0.5],
    ];
    assert.equal(sinkRate(scores, 0.3, 0), 4 / 6);
    assert.equal(sinkRate(scores, 0.3, 2), 1);
    assert.equal(sinkRate(scores, 0.3, 3), null);
  });

  it('massive activations need magnitude > 100 and >= 1000x the layer median', () => {
    const vector = new Float32Array(2000).fill(0.05);
    vector[7] = -767.6;
    vector[12] = 458.55;
    vector[13] = 0.07;
    const found = massiveActivation(vector, 1, 0, 0.5);
    assert.deepEqual(
      found.top.map((entry) => entry.dim),
      [7, 12, 13],
    );
    assert.ok(Math.abs(found.top[0].value + 767.6) < 1e-3);
    assert.equal(found.median, 0.5, 'the layer median is the reference');
    assert.ok(Math.abs((found.rowMedian ?? NaN) - 0.05) < 1e-7, "the row's own (lower) median, under its own name");
    assert.equal(found.massive, true, '767.6 > 100 and >= 1000 x 0.5');
  });

  it('the layer median decides, not the row median', () => {
    const vector = new Float32Array(64).fill(0.01);
    vector[3] = 300;
    assert.equal(massiveActivation(vector, 1, 0, 0.5).massive, false, '300 < 1000 x 0.5, though 300 >= 1000 x the row median 0.01');
    assert.equal(massiveActivation(vector, 1, 0, 0.2).massive, true, '300 > 100 and >= 1000 x 0.2');
    assert.equal(massiveActivation(Float32Array.of(50, 0, 0, 0), 1, 0, 0).massive, false, 'needs magnitude > 100');
  });

  it('lowerMedian takes the lower middle value, as torch.median does', () => {
    assert.equal(lowerMedian([4, 1, 3, 2]), 2);
    assert.equal(lowerMedian([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('formationDepth is the first depth from which the ratio stays >= 2 up to depth L-1', () => {
    const depths = [0, 0.5, 1, 1.5, 2, 2.5, 3];
    const scores = [[0.1], [0.1], [0.1]];
    // Dips below 2 at depth 1.5, so the formation is at 2; depth 3 (= L) is not required to hold.
    const verdict = circuitVerdict(depths, [1, 2.5, 3, 1.9, 4, 4, 1], scores, 0.3, 0.2);
    assert.equal(verdict.formationDepth, 2);
    assert.equal(verdict.withinTwoBlocks, true);
    assert.equal(verdict.sinkOnsetLayer, null);
    assert.equal(circuitVerdict(depths, [1, 1, 1, 1, 1, 1, 1], scores, 0.3, 0.2).formationDepth, null);
  });

  it('sinkOnsetLayer needs the head mean above epsilon and above twice the uniform baseline', () => {
    const depths = [0, 0.5, 1, 1.5, 2];
    const ratios = [1, 1, 1, 1, 1];
    assert.equal(
      circuitVerdict(
        depths,
        ratios,
        [
          [0.2, 0.3],
          [0.5, 0.6],
        ],
        0.3,
        0.2,
      ).sinkOnsetLayer,
      1,
    );
    assert.equal(
      circuitVerdict(
        depths,
        ratios,
        [
          [0.2, 0.3],
          [0.5, 0.6],
        ],
        0.3,
        0.3,
      ).sinkOnsetLayer,
      null,
      '0.55 < 2 x 0.3',
    );
  });

  it('concentration is the share of log-ratio growth reached by depth 2', () => {
    const depths = [0, 0.5, 1, 1.5, 2, 2.5, 3];
    const ratios = [1, 2, 4, 4, 4, 8, 8];
    const found = concentration(depths, ratios, 0.5);
    assert.ok(Math.abs(found.concentration! - Math.log(4) / Math.log(8)) < 1e-12);
    assert.equal(found.concentrationNullReason, null);
    assert.deepEqual(circuitVerdict(depths, ratios, [[0.1], [0.1], [0.1]], 0.3, 0.2).concentration, found.concentration);
  });

  it('concentration is null, with the reason, where there is no growth to share', () => {
    const depths = [0, 0.5, 1, 1.5, 2, 2.5, 3];
    const scores = [[0.1], [0.1], [0.1]];
    // The case: P0 never forms (ratio below 2 everywhere), yet log R grows a little by depth 2.
    const unformed = circuitVerdict(depths, [1, 1.2, 1.5, 1.5, 1.6, 1.6, 1.7], scores, 0.3, 0.2);
    assert.equal(unformed.formationDepth, null);
    assert.deepEqual([unformed.concentration, unformed.concentrationNullReason], [null, 'no-formation']);
    // Formed from depth 0 on and never higher than there: the denominator is 0.
    assert.deepEqual(concentration(depths, [8, 4, 4, 4, 4, 4, 4], 0), { concentration: null, concentrationNullReason: 'no-growth' });
    // One block: no depth 2 (formed at 0.5).
    assert.deepEqual(concentration([0, 0.5, 1], [1, 3, 3], 0.5), { concentration: null, concentrationNullReason: 'no-depth-2' });
    // Formed, with P0 shrinking by depth 2 before growing later: a negative share, by the definition.
    assert.ok(concentration(depths, [2, 1, 0.5, 1, 1.5, 3, 8], 2.5).concentration! < 0);
  });

  it('parallel blocks (depths 0, 1, …, L with no l + 0.5): formationDepth, concentration and p0 ratios read the depths that exist', () => {
    const depths = [0, 1, 2, 3, 4];
    const scores = [[0.1], [0.1], [0.1], [0.1]];
    // Dips below 2 at depth 2, holds from depth 3 up to L - 1 = 3: formation at 3, not within two blocks.
    const verdict = circuitVerdict(depths, [1, 2.5, 1.5, 3, 1], scores, 0.3, 0.2);
    assert.equal(verdict.formationDepth, 3);
    assert.equal(verdict.withinTwoBlocks, false);
    assert.equal(circuitVerdict(depths, [1, 3, 3, 3, 3], scores, 0.3, 0.2).formationDepth, 1);
    assert.ok(Math.abs(concentration(depths, [1, 2, 4, 8, 8], 1).concentration! - Math.log(4) / Math.log(8)) < 1e-12, 'depth 2 is the output of block 1');
  });
});
