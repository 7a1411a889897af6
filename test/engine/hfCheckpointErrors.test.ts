/**
 * Bad checkpoints through the real CLI: one line on stderr that says what is wrong and what to do,
 * exit code 3, and nothing written into the checkpoint's folder or the hub cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { folderSnapshot } from '../support/folderSnapshot';
import { hfCheckpoint, hubCacheFixture, HUB_MODEL } from '../support/hfFixtures';
import { cliPath } from '../support/paths';
import { torchMissing } from '../support/torchReference';

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertModelError(result: ReturnType<typeof cli>, pattern: RegExp): void {
  assert.equal(result.code, 3, `exit code 3 (stderr: ${result.stderr})`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], /^sink-lens: /);
  assert.match(lines[0], pattern);
}

/** A copy of a checkpoint fixture to damage. */
function copyOf(folder: string): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'sink-lens-hf-bad-')), 'checkpoint');
  cpSync(folder, copy, { recursive: true });
  return copy;
}

function editConfig(folder: string, edit: (config: Record<string, unknown>) => void): void {
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
  edit(config);
  writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
}

/** Runs `inspect` on a damaged copy and checks the one-line error and that the folder was left as it was. */
function assertRefused(folder: string, pattern: RegExp, env: NodeJS.ProcessEnv = {}, model = folder): void {
  const before = folderSnapshot(folder);
  assertModelError(cli(['inspect', '--model', model], env), pattern);
  assertModelError(cli(['analyze', '--model', model, '--ids', '0,1,2', '--device', 'cpu'], env), pattern);
  assert.deepEqual(folderSnapshot(folder), before, 'nothing written into the checkpoint folder');
}

describe('bad Hugging Face checkpoints: one line, exit 3, nothing written', { skip: torchMissing() ?? false }, () => {
  it('a truncated shard', () => {
    const folder = copyOf(hfCheckpoint('hf-llama'));
    const file = join(folder, 'model.safetensors');
    truncateSync(file, readFileSync(file).length - 1000);
    assertRefused(folder, /model\.safetensors is truncated or damaged: tensor '[\w.]+' lies at bytes \d+-\d+ but the file has \d+; save or download the checkpoint again$/);
  });

  it('a header whose offsets run past the file', () => {
    const folder = copyOf(hfCheckpoint('hf-llama'));
    const file = join(folder, 'model.safetensors');
    const bytes = readFileSync(file);
    const length = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
    header['model.norm.weight'].data_offsets = [10 ** 9, 10 ** 9 + 256];
    const text = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(text.length));
    writeFileSync(file, Buffer.concat([prefix, text, bytes.subarray(8 + length)]));
    assertRefused(folder, /tensor 'model\.norm\.weight' lies at bytes \d+-\d+ but the file has \d+/);
  });

  it('a header length longer than the file', () => {
    const folder = copyOf(hfCheckpoint('hf-llama'));
    const file = join(folder, 'model.safetensors');
    const bytes = readFileSync(file);
    bytes.writeBigUInt64LE(BigInt(bytes.length), 0);
    writeFileSync(file, bytes);
    assertRefused(folder, /model\.safetensors is not a readable safetensors file \(its header claims \d+ bytes but the file has \d+\)/);
  });

  it('a shard named in the index that is missing', () => {
    const folder = copyOf(hfCheckpoint('hf-qwen2'));
    rmSync(join(folder, 'model-00002-of-00003.safetensors'));
    assertRefused(folder, /model\.safetensors\.index\.json in .* names model-00002-of-00003\.safetensors, which is not there \(an incomplete download\?\)/);
  });

  it('config.json and weights that do not belong together', () => {
    const folder = copyOf(hfCheckpoint('hf-llama'));
    editConfig(folder, (config) => (config.intermediate_size = 100));
    assertRefused(
      folder,
      /config\/weights shape mismatch: 'model\.layers\.0\.mlp\.down_proj\.weight' is \[64, 128\] in model\.safetensors, but config\.json \(.*intermediate_size 100.*\) implies \[64, 100\]/,
    );
  });

  it('a folder with weights and no config.json', () => {
    const folder = copyOf(hfCheckpoint('hf-llama'));
    rmSync(join(folder, 'config.json'));
    assertRefused(folder, /has safetensors weights but no config\.json, so the architecture is unknown; put the model's own config\.json beside the weights/);
  });

  it('a model_type Sink Lens does not build', () => {
    const folder = copyOf(hfCheckpoint('hf-llama'));
    editConfig(folder, (config) => (config.model_type = 'bert'));
    assertRefused(folder, /config\.json in .* has model_type 'bert'; Sink Lens builds llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text, olmo2, qwen3_moe, gpt2, gpt_neox checkpoints/);
  });

  it('a rope_scaling type Sink Lens does not build', () => {
    const folder = copyOf(hfCheckpoint('hf-llama'));
    editConfig(folder, (config) => (config.rope_scaling = { type: 'yarn', factor: 4.0 }));
    assertRefused(
      folder,
      /config\.json of this llama model asks for rope_scaling type 'yarn', which Sink Lens cannot build \(it builds the rope types default, linear, llama3, longrope\); nothing was built/,
    );
  });

  it('an untied checkpoint without lm_head.weight', () => {
    const folder = copyOf(hfCheckpoint('hf-qwen3'));
    editConfig(folder, (config) => (config.tie_word_embeddings = false));
    assertRefused(folder, /the checkpoint has no tensor 'lm_head\.weight', which config\.json \(.*tie_word_embeddings false\) implies/);
  });

  it('a hub id that is not in the cache names where it looked and how to fetch it', () => {
    const hub = hubCacheFixture();
    const result = cli(['analyze', '--model', 'nobody/nothing', '--ids', '0,1'], { HF_HUB_CACHE: hub });
    assertModelError(
      result,
      new RegExp(
        `model not found: nobody/nothing is not a file or folder here, nor in the local Hugging Face cache \\(looked for ${hub}/models--nobody--nothing; set HF_HUB_CACHE or HF_HOME if your cache is elsewhere\\); fetch it with: huggingface-cli download nobody/nothing$`,
      ),
    );
  });

  it('a revision that is not in the cache lists the ones that are', () => {
    const hub = hubCacheFixture();
    const result = cli(['inspect', '--model', `${HUB_MODEL}@v9`], { HF_HUB_CACHE: hub });
    assertModelError(
      result,
      /revision 'v9' of sink-lens\/tiny-llama is not in the local Hugging Face cache \(.* has early → [0-9a-f]{7}, main → [0-9a-f]{7}\); fetch it with: huggingface-cli download sink-lens\/tiny-llama --revision v9$/,
    );
  });

  it('a damaged blob in the hub cache: refused, and the hub cache is left as it was', () => {
    const hub = join(mkdtempSync(join(tmpdir(), 'sink-lens-hub-')), 'hub');
    cpSync(hubCacheFixture(), hub, { recursive: true, verbatimSymlinks: true });
    const snapshot = join(hub, 'models--sink-lens--tiny-llama', 'snapshots');
    const main = readFileSync(join(hub, 'models--sink-lens--tiny-llama', 'refs', 'main'), 'utf8');
    const blob = realpathSync(join(snapshot, main, 'model.safetensors'));
    truncateSync(blob, 5000);
    assertRefused(hub, /model\.safetensors is truncated or damaged: .*; fetch it again: huggingface-cli download sink-lens\/tiny-llama$/, { HF_HUB_CACHE: hub }, HUB_MODEL);
  });
});
