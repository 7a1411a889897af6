/**
 * The Pythia-shaped hub cache (test/support/pythiaCache.ts): a GPT-NeoX trained here on Sinklet's
 * task, its checkpoints as hub revisions `stepN`. End to end as a researcher traces Pythia's: the
 * layout `inspect` recognises is Pythia's (parallel blocks, a quarter of each head rotated);
 * `sink-lens trace --checkpoints sink-lens/pythia-sinklet` takes the revisions by step, reports
 * block outputs only, and the sink grows over them; the first and last revisions' numbers are the
 * PyTorch reference's (tools/torch_ref/neox.py, the module that was trained).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ModelInspection } from '../../src/engine/model/inspectModel';
import type { TraceDocument } from '../../src/protocol/trace';
import { cliPath, repoRoot } from '../support/paths';
import { PYTHIA_HUB_ID, type PythiaCache, pythiaHubCache, pythiaSnapshot } from '../support/pythiaCache';
import { torchMissing } from '../support/torchReference';
import { assertTraceCheckpointMatchesReference } from '../support/traceReference';

const PROMPTS = join(repoRoot, 'models', 'sinklet', 'samples.txt');

describe('a Pythia-shaped hub cache whose BOS sink grows over its revisions', { skip: torchMissing() ?? false }, () => {
  let cache: PythiaCache;
  let root: string;
  let previousHubCache: string | undefined;
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [cliPath, ...args, '--device', 'cpu'], { encoding: 'utf8', env: { ...process.env, HF_HUB_CACHE: cache.hub } });
    assert.equal(result.status, 0, result.stderr);
    return result;
  };

  before(() => {
    cache = pythiaHubCache();
    root = mkdtempSync(join(tmpdir(), 'sink-lens-pythia-'));
    previousHubCache = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = cache.hub;
  });
  after(() => {
    if (previousHubCache === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = previousHubCache;
    rmSync(root, { recursive: true, force: true });
  });

  it('holds the revisions as the hub does: refs/stepN and main, snapshots linking into blobs', () => {
    const repo = join(cache.hub, 'models--sink-lens--pythia-sinklet');
    assert.equal(cache.revisions.length, 4);
    assert.deepEqual(
      cache.revisions.map((entry) => entry.revision),
      cache.revisions.map((entry) => `step${entry.step}`),
    );
    for (const { revision, commit } of cache.revisions) {
      assert.equal(readFileSync(join(repo, 'refs', revision), 'utf8'), commit);
      const weights = join(pythiaSnapshot(cache, revision), 'model.safetensors');
      assert.ok(lstatSync(weights).isSymbolicLink());
      assert.match(readlinkSync(weights), /^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
      assert.ok(existsSync(join(pythiaSnapshot(cache, revision), 'tokenizer.json')));
    }
    assert.equal(readFileSync(join(repo, 'refs', 'main'), 'utf8'), cache.revisions[3].commit);
  });

  it('inspect by hub id: GPT-NeoX, parallel attention + MLP, a quarter of each head rotated', () => {
    const out = join(root, 'inspect.json');
    cli('inspect', '--model', PYTHIA_HUB_ID, '--out', out);
    const inspection = JSON.parse(readFileSync(out, 'utf8')) as ModelInspection;
    assert.equal(inspection.architecture, 'gpt_neox');
    assert.equal(inspection.commit, cache.revisions[3].commit);
    assert.ok(inspection.layout.layers.every((layer) => layer.residual === 'parallel' && layer.rotaryFraction === 0.25 && layer.norms.attention === 'pre'));
  });

  describe('sink-lens trace --checkpoints sink-lens/pythia-sinklet', () => {
    let trace: TraceDocument;
    before(() => {
      const out = join(root, 'trace.json');
      const result = cli('trace', '--checkpoints', PYTHIA_HUB_ID, '--prompts', PROMPTS, '--cache', join(root, 'trace-cache'), '--out', out);
      assert.match(result.stderr, /left out the refs that name no step: main \(the commit of step\d+\)/);
      trace = JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
    });

    it('takes the revisions by step, with their commits, and reports block outputs only', () => {
      assert.deepEqual(
        trace.checkpoints.map((checkpoint) => checkpoint.step),
        cache.revisions.map((entry) => entry.step),
      );
      for (const [i, checkpoint] of trace.checkpoints.entries()) {
        const { revision, commit } = cache.revisions[i];
        assert.deepEqual(checkpoint.source, { kind: 'hub', repoId: PYTHIA_HUB_ID, revision, commit });
        assert.deepEqual(checkpoint.depths, [0, 1, 2, 3], 'parallel blocks: no l + 0.5');
        assert.equal(checkpoint.p0NormRatio.length, 4);
      }
    });

    it('the sink grows: no sink at step 0, half the heads sink at the last revision, and the P0 norm ratio rises', () => {
      const [first, last] = [trace.checkpoints[0], trace.checkpoints.at(-1)!];
      const peak = (ratios: (number | null)[]) => Math.max(...ratios.map((ratio) => ratio ?? 0));
      assert.equal(first.sinkRate.all, 0, 'an untrained model has no sink');
      assert.ok(last.sinkRate.all >= 0.4, `the trained model sinks (${last.sinkRate.all} of its heads)`);
      assert.ok(peak(last.p0NormRatio) > peak(first.p0NormRatio), `P0 norm ratio ${peak(first.p0NormRatio)} → ${peak(last.p0NormRatio)}`);
      for (let i = 1; i < trace.checkpoints.length; i++) {
        assert.ok(trace.checkpoints[i].sinkRate.all >= trace.checkpoints[i - 1].sinkRate.all, `sink rate does not fall at step ${trace.checkpoints[i].step}`);
      }
    });

    it('the first and last revisions match the PyTorch reference, and their trace numbers are their single-prompt reports', async () => {
      for (const checkpoint of [trace.checkpoints[0], trace.checkpoints.at(-1)!]) await assertTraceCheckpointMatchesReference(checkpoint, trace.prompts[0]);
    });
  });
});
