/**
 * docs/REPRODUCE.md's commands, run as written (its `sh` blocks, in order, through a `sink-lens` on
 * PATH) against a hub cache that holds small test checkpoints under the published models' ids, so
 * that the documented commands keep working and keep printing the columns the document points at.
 * The numbers are the test checkpoints' (random weights), not the papers'.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BatchDocument } from '../../src/protocol/analyses';
import { resolveHubSnapshot } from '../../src/engine/hf/hubCache';
import { hfCheckpoint, hubCacheFixture, HUB_MODEL } from '../support/hfFixtures';
import { cliPath, repoRoot } from '../support/paths';
import { torchMissing } from '../support/torchReference';

const TEXTS = [
  'The committee met on Tuesday to discuss the budget for the coming year, and after a long debate it approved most of the proposals.',
  'Rivers carry sediment from the mountains to the sea, building deltas where the current slows and the water spreads out over the plain.',
  'She opened the old notebook and found, between pages of recipes, a letter her grandmother had never sent to anyone in the family.',
];

/** The `sh` blocks of a Markdown file, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

/** A hub cache whose repositories are the published ids, each a snapshot of links to a test checkpoint's files. */
function publishedIdsCache(): string {
  const hub = join(mkdtempSync(join(tmpdir(), 'sink-lens-reproduce-')), 'hub');
  const llama = resolveHubSnapshot({ repoId: HUB_MODEL, revision: null }, { HF_HUB_CACHE: hubCacheFixture() }).folder;
  const tokenizerFiles = ['tokenizer.json', 'tokenizer_config.json'].map((name) => join(llama, name));
  const files = (folder: string) =>
    readdirSync(folder)
      .filter((name) => name !== 'fixture.json')
      .map((name) => join(folder, name));
  const repositories: Record<string, string[]> = {
    'meta-llama/Meta-Llama-3-8B': files(llama),
    'meta-llama/Llama-2-7b-hf': files(llama),
    'mistralai/Mistral-7B-v0.1': [...files(hfCheckpoint('hf-mistral')), ...tokenizerFiles],
    'openai-community/gpt2-xl': files(hfCheckpoint('hf-gpt2')),
  };
  for (const [id, paths] of Object.entries(repositories)) {
    const repo = join(hub, `models--${id.replace('/', '--')}`);
    const commit = '0'.repeat(40);
    mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), commit);
    for (const path of paths) symlinkSync(realpathSync(path), join(repo, 'snapshots', commit, path.split('/').pop()!));
  }
  return hub;
}

describe('docs/REPRODUCE.md', { skip: torchMissing() ?? false }, () => {
  it('its commands run as written and print the columns it names', () => {
    const work = mkdtempSync(join(tmpdir(), 'sink-lens-reproduce-'));
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'sink-lens'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" "$@"\n`);
    chmodSync(join(bin, 'sink-lens'), 0o755);
    writeFileSync(join(work, 'gu-natural.jsonl'), TEXTS.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, HF_HUB_CACHE: publishedIdsCache() };

    const blocks = shellBlocks(readFileSync(join(repoRoot, 'docs', 'REPRODUCE.md'), 'utf8'));
    assert.equal(blocks.length, 4, 'the Gu et al. runs, the repeated tokens, Sun et al., StreamingLLM');
    const outputs = blocks.map((block) => {
      const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block], { cwd: work, env, encoding: 'utf8' });
      assert.equal(result.status, 0, `${block}\n${result.stderr}`);
      return result.stdout;
    });

    const sinkRates = (output: string) => (output.match(/^\d+ prompts · sinkRate \(per prompt, averaged\): all \d+\.\d %, from layer 2 (\d+\.\d %|n\/a)$/gm) ?? []).length;
    assert.deepEqual(outputs.map(sinkRates), [4, 1, 1, 0], "four models on natural text, then repeated tokens, then Sun et al.'s batch");
    assert.match(outputs[2], /^Mean P0 hidden state: first massive activation/m);
    assert.match(outputs[2], /^ {2}2 +d\d+=-?\d+\.\d+ {2}d\d+=-?\d+\.\d+ {2}d\d+=-?\d+\.\d+ {2}\(median \|h\| /m, 'the depth-2 line with its top-3 dims');
    const top = JSON.parse(outputs[2].trim().split('\n').pop()!) as { dim: number; value: number }[];
    assert.equal(top.length, 3);
    assert.ok(top.every((entry) => Number.isInteger(entry.dim) && Number.isFinite(entry.value)));
    assert.match(outputs[3], /^ {2}layer +h0 +h1 +h2 +h3 +mean$/m);

    // --max-tokens 64 --truncate keeps the first 64 tokens of each prompt, BOS included.
    const out = join(work, 'check.json');
    const check = spawnSync(
      process.execPath,
      [cliPath, 'batch', '--model', 'meta-llama/Llama-2-7b-hf', '--prompts', join(work, 'gu-natural.jsonl'), '--max-tokens', '64', '--truncate', '--out', out],
      { env, encoding: 'utf8' },
    );
    assert.equal(check.status, 0, check.stderr);
    const batch = JSON.parse(readFileSync(out, 'utf8')) as BatchDocument;
    assert.deepEqual(
      batch.prompts.map((prompt) => prompt.tokens),
      [64, 64, 64],
    );
  });
});
