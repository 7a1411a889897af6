/**
 * The verdict's words against the numbers printed beside them, on real runs through the CLI: the
 * bundled demo model (its sink forms at depth 1; its ratio is 1.50× at depth L = 3, after the
 * definition's last depth L − 1 = 2, and the summary says why that is no contradiction), stories260k
 * on five token ids (95 % of heads above ε and still no sink: the summary says why, with the uniform
 * share and twice it), ordinary English on the demo model (the note and its sample prompts), and
 * first-token substitution (each "keeps the sink?" with the rule that decided it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keepsSinkReason, type SubstitutionDocument } from '../../src/protocol/analyses';
import type { SinkReport } from '../../src/protocol/report';
import { describeVerdict } from '../../src/protocol/verdict';
import { cliPath, repoRoot, sharedModelsMissing, stories260k } from '../support/paths';

const demoSample = readFileSync(join(repoRoot, 'models', 'sinklet', 'samples.txt'), 'utf8').split('\n')[0];

function cli(...args: string[]): string {
  const result = spawnSync(process.execPath, [cliPath, ...args, '--device', 'cpu'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

function report(...args: string[]): SinkReport {
  const out = join(mkdtempSync(join(tmpdir(), 'sink-lens-verdict-')), 'report.json');
  cli('analyze', ...args, '--out', out);
  return JSON.parse(readFileSync(out, 'utf8')) as SinkReport;
}

describe('verdict wording on real runs', () => {
  it('the demo model: formation holds up to L − 1, and the lower ratio at depth L is explained', () => {
    const demo = report('--prompt', demoSample);
    const { residual, circuit } = demo;
    const L = demo.model.layers;
    const atL = residual.p0NormRatio[residual.depths.indexOf(L)]!;
    assert.equal(circuit.formationDepth, 1);
    assert.ok(atL < 2, `the ratio at depth ${L} is ${atL}: the case the wording must explain`);
    const text = describeVerdict(demo);
    const formation = text.details.find((line) => line.startsWith("The first token's hidden state"))!;
    assert.match(formation, new RegExp(`from depth 1 on, at every later depth up to L − 1 = ${L - 1}`));
    const after = text.details.find((line) => line.startsWith('The ratio is lower after depth'));
    assert.ok(after, text.details.join('\n'));
    assert.ok(after.includes(`${atL.toFixed(2)}× at depth ${L}`), after);
    assert.match(after, /does not undo the state that formed/);
    const printed = cli('analyze', '--prompt', demoSample);
    assert.ok(printed.includes(after), 'the CLI prints the same sentence');
    assert.doesNotMatch(printed, /demo model \(sinklet\)/, 'no note: this prompt has a sink');
  });

  it('stories260k on 5 ids: a high sink rate under "no attention sink" is explained right under the headline', { skip: sharedModelsMissing() ?? false }, () => {
    const stories = report('--model', stories260k, '--ids', '1,403,407,261,378');
    assert.equal(stories.circuit.sinkOnsetLayer, null);
    assert.ok(stories.attention.sinkRate.all > 0.9, `sink rate ${stories.attention.sinkRate.all}`);
    const text = describeVerdict(stories);
    assert.equal(text.headline, 'No attention sink on the first token');
    const u = stories.attention.uniformBaseline;
    assert.ok(Math.abs(u - (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 5) < 1e-12);
    assert.ok(text.why, 'a reason under the headline');
    assert.ok(
      text.why.includes(`on 5 tokens a head that spreads its attention evenly gives the first token ${u.toFixed(3)} (the uniform share); twice that is 2 × ${u.toFixed(3)} = ${(2 * u).toFixed(3)}`),
      text.why,
    );
    assert.match(text.why, /^Why 95 % of heads above ε = 0\.30 is still no sink/);
    const printed = cli('analyze', '--model', stories260k, '--ids', '1,403,407,261,378');
    const lines = printed.split('\n');
    const headline = lines.findIndex((line) => line === 'Verdict: No attention sink on the first token');
    assert.equal(lines[headline + 1], `  ${text.why}`, 'the CLI prints the reason right under the headline');
  });

  it('ordinary English on the demo model: no sink, and the note says why, with its sample prompts', () => {
    const printed = cli('analyze', '--prompt', 'The quick brown fox jumps over the lazy dog near the river bank.');
    assert.match(printed, /^Verdict: (No attention sink|High-norm first token, but no attention sink)/m);
    assert.match(printed, /This is the bundled demo model \(sinklet\).*it shows none on ordinary text\. Try one of its sample prompts \(samples\.txt in its folder\)/);
    const other = cli('analyze', '--model', join(repoRoot, 'models', 'sinklet', 'model.onnx'), '--prompt', 'The quick brown fox.');
    assert.match(other, /This is the bundled demo model/, 'also when named by its model.onnx');
  });

  it('substitution: every "keeps the sink?" says which rule decided it', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sink-lens-verdict-')), 'sub.json');
    const printed = cli('substitute', '--prompt', demoSample);
    cli('substitute', '--prompt', demoSample, '--out', out);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as SubstitutionDocument;
    const [original, ...others] = doc.variants;
    for (const variant of others) {
      const rule = keepsSinkReason(variant.sinkStrength, original.sinkStrength, original.sinkRate.epsilon ?? 0.3, doc.uniformBaseline);
      const line = printed.split('\n').find((entry) => entry.trimStart().startsWith(variant.label));
      assert.ok(line?.endsWith(`${rule.keeps ? 'yes' : 'no'}: ${rule.reason}`), `${variant.label}: ${line}`);
      if (variant.sinkStrength < 0.5 * original.sinkStrength) {
        assert.match(rule.reason, /sink strength fell below half of the original's \(\d\.\d{3} < 0\.5 × \d\.\d{3} = \d\.\d{3}\)/);
      }
    }
  });
});
