import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepsSink, keepsSinkReason } from '../../src/protocol/analyses';
import { demoModelNote } from '../../src/protocol/demoModel';
import { describeVerdict, p0Role, uniformShareText, type VerdictInput } from '../../src/protocol/verdict';

const depths = [0, 0.5, 1, 1.5, 2, 2.5, 3];
const input = (over: Pick<Partial<VerdictInput>, 'circuit'> & { ratios?: number[]; scores?: number[][]; count?: number; baseline?: number; rate?: number }): VerdictInput => ({
  circuit: over.circuit ?? { formationDepth: null, sinkOnsetLayer: null, withinTwoBlocks: false, concentration: null },
  attention: {
    sinkScore: over.scores ?? [
      [0.1, 0.1],
      [0.1, 0.1],
      [0.1, 0.1],
    ],
    uniformBaseline: over.baseline ?? 0.15,
    sinkRate: { epsilon: 0.3, all: over.rate ?? 0, fromLayer2: over.rate ?? 0 },
  },
  residual: { depths, p0NormRatio: over.ratios ?? [1, 1, 1, 1, 1, 1, 1] },
  tokens: new Array(over.count ?? 20).fill(null),
});

describe('the verdict in words', () => {
  it('a formed state: the definition up to L − 1, and depths after it explained only when lower', () => {
    const formed = { formationDepth: 1, sinkOnsetLayer: 1, withinTwoBlocks: true, concentration: null };
    const low = describeVerdict(
      input({
        circuit: formed,
        ratios: [1, 0.6, 6.5, 6.8, 2.8, 2.8, 1.5],
        scores: [
          [0.04, 0.04],
          [0.83, 0.73],
          [0.93, 0.91],
        ],
        rate: 0.667,
      }),
    );
    assert.equal(low.headline, 'Attention sink on the first token, formed within two blocks');
    assert.equal(low.why, null);
    assert.match(low.details[0], /from depth 1 on, at every later depth up to L − 1 = 2 \(formation depth 1\)/);
    assert.match(low.details[2], /^The ratio is lower after depth L − 1 = 2 \(1\.50× at depth 3\)/);
    const high = describeVerdict(
      input({
        circuit: formed,
        ratios: [1, 0.6, 6.5, 6.8, 2.8, 2.8, 2.5],
        scores: [
          [0.04, 0.04],
          [0.83, 0.73],
          [0.93, 0.91],
        ],
        rate: 0.667,
      }),
    );
    assert.ok(!high.details.some((line) => line.startsWith('The ratio is lower')), 'nothing to explain when it stays at 2× or more');
  });

  it('no formed state: never reaching 2×, and reaching it without staying, are told apart', () => {
    assert.match(describeVerdict(input({ ratios: [1, 1.2, 1.8, 1.5, 1.4, 1.3, 1.2] })).details[0], /never reaches 2× .* up to depth L − 1 = 2 \(its peak is 1\.80× at depth 1\)/);
    assert.match(describeVerdict(input({ ratios: [1, 1.2, 3.1, 1.5, 2.4, 1.3, 1.2] })).details[0], /reaches 3\.10× the others' median at depth 1 but does not stay .* \(1\.50× at depth 1\.5\)/);
  });

  it('no sink with heads above ε on a short prompt: why, with which number is the share and which twice it', () => {
    const u = (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 5;
    const text = describeVerdict(
      input({
        count: 5,
        baseline: u,
        rate: 0.95,
        scores: [
          [0.45, 0.47],
          [0.4, 0.47],
          [0.58, 0.6],
        ],
      }),
    );
    assert.equal(text.headline, 'No attention sink on the first token');
    assert.equal(
      text.why,
      'Why 95 % of heads above ε = 0.30 is still no sink: on 5 tokens a head that spreads its attention evenly gives the first token 0.457 (the uniform share); twice that is 2 × 0.457 = 0.913, and a sink needs a layer whose heads average more than that. The highest layer mean here is 0.59 (layer 2), under 0.913. On a longer prompt the uniform share is smaller.',
    );
    assert.match(text.details[1], /more than both ε = 0\.30 and twice the uniform share \(2 × 0\.457 = 0\.913\).* The highest layer mean is 0\.59 \(layer 2\)\./);
  });

  it('no sink, heads above ε scattered over layers whose means stay under ε', () => {
    const text = describeVerdict(
      input({
        rate: 0.1,
        scores: [
          [0.05, 0.5],
          [0.1, 0.1],
          [0.1, 0.1],
        ],
      }),
    );
    assert.match(text.why!, /those heads are scattered; no layer's heads average above ε \(the highest layer mean is 0\.28, layer 0\)/);
    assert.equal(describeVerdict(input({ rate: 0 })).why, null, 'no head above ε: nothing to reconcile');
  });

  it('a sink names the first layer, with its mean, never "from layer l on"', () => {
    const text = describeVerdict(
      input({
        circuit: { formationDepth: null, sinkOnsetLayer: 1, withinTwoBlocks: false, concentration: null },
        scores: [
          [0.1, 0.1],
          [0.8, 0.7],
          [0.2, 0.2],
        ],
        rate: 0.333,
      }),
    );
    assert.match(text.details[1], /^Layer 1 is the first whose heads put on average more than ε = 0\.30 and more than twice the uniform share \(2 × 0\.150 = 0\.300\) .*: 0\.75\./);
    assert.ok(!text.details.join(' ').includes('From layer'));
  });

  it('P0 is "where the sink forms" only when there is a sink', () => {
    assert.match(p0Role({ formationDepth: 1, sinkOnsetLayer: 1, withinTwoBlocks: true, concentration: null }), /^P0, where the sink forms/);
    assert.equal(p0Role({ formationDepth: null, sinkOnsetLayer: null, withinTwoBlocks: false, concentration: null }), 'P0: no attention sink in this run (see the verdict)');
    assert.doesNotMatch(p0Role({ formationDepth: 1, sinkOnsetLayer: null, withinTwoBlocks: true, concentration: null }), /sink forms/);
    assert.equal(uniformShareText(1, 1), 'on 1 token a head that spreads its attention evenly gives the first token 1.000 (the uniform share); twice that is 2 × 1.000 = 2.000');
  });

  it('the demo-model note: only for the demo model, only without a sink', () => {
    const none = { formationDepth: 1, sinkOnsetLayer: null, withinTwoBlocks: true, concentration: null };
    assert.match(demoModelNote(true, none)!, /grows its attention sink on that language; like real small models, it shows none on ordinary text/);
    assert.equal(demoModelNote(false, none), null);
    assert.equal(demoModelNote(true, { ...none, sinkOnsetLayer: 1 }), null);
  });
});

describe('keeps the sink? with its reason', () => {
  it('says each failed condition with its numbers, and agrees with keepsSink', () => {
    // The demo model's random token: the same sink rate as the original, less than half its strength.
    const random = keepsSinkReason(0.39, 0.852, 0.3, 0.153);
    assert.deepEqual(random, { keeps: false, reason: "sink strength fell below half of the original's (0.390 < 0.5 × 0.852 = 0.426)" });
    assert.equal(keepsSinkReason(0.12, 0.31, 0.3, 0.05).reason, "sink strength fell below half of the original's (0.120 < 0.5 × 0.310 = 0.155); sink strength is not above ε (0.120 ≤ 0.3)");
    assert.match(keepsSinkReason(0.35, 0.4, 0.3, 0.2).reason, /^sink strength is not above twice the uniform share \(0\.350 ≤ 2 × 0\.200 = 0\.400\)$/);
    const kept = keepsSinkReason(0.61, 0.85, 0.3, 0.153);
    assert.equal(kept.keeps, true);
    assert.match(kept.reason, /^sink strength 0\.610 is at least half of the original's \(0\.5 × 0\.850 = 0\.425\), above ε \(0\.3\) and above twice the uniform share \(2 × 0\.153 = 0\.306\)$/);
    for (const [strength, original, epsilon, baseline] of [
      [0.39, 0.85, 0.3, 0.153],
      [0.61, 0.85, 0.3, 0.153],
      [0.35, 0.4, 0.3, 0.2],
      [0.5, 0.4, 0.3, 0.1],
    ]) {
      assert.equal(keepsSinkReason(strength, original, epsilon, baseline).keeps, keepsSink(strength, original, epsilon, baseline));
    }
  });
});
