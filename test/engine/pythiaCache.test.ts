/**
 * The Pythia-shaped hub cache (test/support/pythiaCache.ts): a GPT-NeoX trained here on Sinklet's
 * task, its checkpoints as hub revisions `stepN`. Through the CLI, by hub id and revision, as a
 * researcher opens Pythia's: the layout is Pythia's (parallel blocks, a quarter of each head
 * rotated), the sink really grows over the revisions (sink rate and P0 norm ratio rise), and the
 * engine's sink scores on each revision give what the training tool measured with the PyTorch
 * reference.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { ModelInspection } from '../../src/engine/model/inspectModel';
import type { SinkReport } from '../../src/protocol/report';
import { cliPath } from '../support/paths';
import { PYTHIA_HUB_ID, type PythiaCache, pythiaHubCache } from '../support/pythiaCache';
import { torchMissing } from '../support/torchReference';

const EPSILON = 0.3;

function run(cache: PythiaCache, ...args: string[]): string {
  const out = join(mkdtempSync(join(tmpdir(), 'sink-lens-pythia-')), 'out.json');
  const result = spawnSync(process.execPath, [cliPath, ...args, '--device', 'cpu', '--out', out], { encoding: 'utf8', env: { ...process.env, HF_HUB_CACHE: cache.hub } });
  assert.equal(result.status, 0, result.stderr);
  return readFileSync(out, 'utf8');
}

/** Over the tool's sample prompts: the mean share of heads in layers >= 1 above ε (the tool's sinkRate1), the mean engine sinkRate over all layers, and the mean largest P0 norm ratio. */
function measure(cache: PythiaCache, revision: string) {
  const reports = cache.samples.map((prompt) => JSON.parse(run(cache, 'analyze', '--model', `${PYTHIA_HUB_ID}@${revision}`, '--prompt', prompt)) as SinkReport);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const fromLayer1 = (report: SinkReport) => {
    const scores = report.attention.sinkScore.slice(1).flat();
    return scores.filter((score) => score > EPSILON).length / scores.length;
  };
  return {
    reports,
    sinkRate1: mean(reports.map(fromLayer1)),
    sinkRate: mean(reports.map((report) => report.attention.sinkRate.all)),
    p0NormRatio: mean(reports.map((report) => Math.max(...report.residual.p0NormRatio.map((ratio) => ratio ?? 0)))),
  };
}

describe('a Pythia-shaped hub cache whose BOS sink grows over its revisions', { skip: torchMissing() ?? false }, () => {
  let cache: PythiaCache;
  before(() => {
    cache = pythiaHubCache();
  });

  it('holds the revisions as the hub does: refs/stepN and main, snapshots linking into blobs', () => {
    const repo = join(cache.hub, 'models--sink-lens--pythia-sinklet');
    assert.equal(cache.revisions.length, 4);
    assert.deepEqual(cache.revisions.map((entry) => entry.revision), cache.revisions.map((entry) => `step${entry.step}`));
    for (const { revision, commit } of cache.revisions) {
      assert.equal(readFileSync(join(repo, 'refs', revision), 'utf8'), commit);
      const weights = join(repo, 'snapshots', commit, 'model.safetensors');
      assert.ok(lstatSync(weights).isSymbolicLink());
      assert.match(readlinkSync(weights), /^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
      assert.ok(existsSync(join(repo, 'snapshots', commit, 'tokenizer.json')));
    }
    assert.equal(readFileSync(join(repo, 'refs', 'main'), 'utf8'), cache.revisions[3].commit);
  });

  it('inspect by hub id: GPT-NeoX, parallel attention + MLP, a quarter of each head rotated', () => {
    const inspection = JSON.parse(run(cache, 'inspect', '--model', PYTHIA_HUB_ID)) as ModelInspection;
    assert.equal(inspection.architecture, 'gpt_neox');
    assert.equal(inspection.commit, cache.revisions[3].commit);
    assert.ok(inspection.layout.layers.every((layer) => layer.residual === 'parallel' && layer.rotaryFraction === 0.25 && layer.norms.attention === 'pre'));
  });

  it('the sink grows: sink rate and P0 norm ratio rise from the first revision to the last, and the engine gives the reference\'s sink rates', () => {
    const measured = cache.revisions.map((entry) => ({ entry, ...measure(cache, entry.revision) }));
    for (const { entry, reports, sinkRate1 } of measured) {
      assert.deepEqual(reports[0].residual.depths, [0, 1, 2, 3], 'parallel blocks: block outputs only');
      assert.ok(Math.abs(sinkRate1 - entry.samples.sinkRate1) < 1e-3, `${entry.revision}: the engine's ${sinkRate1} against the reference's ${entry.samples.sinkRate1}`);
    }
    const [first, , , last] = measured;
    assert.equal(first.sinkRate1, 0, 'an untrained model has no sink');
    assert.ok(last.sinkRate1 >= 0.5, `the trained model sinks (${last.sinkRate1})`);
    assert.ok(last.sinkRate > first.sinkRate);
    assert.ok(last.p0NormRatio > first.p0NormRatio, `P0 norm ratio ${first.p0NormRatio} → ${last.p0NormRatio}`);
    for (let i = 1; i < measured.length; i++) assert.ok(measured[i].sinkRate1 >= measured[i - 1].sinkRate1, `sink rate does not fall at ${measured[i].entry.revision}`);
  });
});
