/**
 * Hugging Face checkpoint fixtures made by tools/hf_ref/make_checkpoints.py (config.json +
 * safetensors with transformers' names, random weights; a hub cache with symlinks), written on
 * first use into .cache/hf-fixtures, which is not committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedModelsMissing, stories260k } from './paths';
import { PYTHON, torchMissing } from './torchReference';

export const hfFixturesRoot = join(repoRoot, '.cache', 'hf-fixtures');
const TOOL = join(repoRoot, 'tools', 'hf_ref', 'make_checkpoints.py');

/** Each with what it exercises (make_checkpoints.py CHECKPOINTS says how it is made). */
export const HF_CHECKPOINTS = {
  'hf-llama': { dtype: 'float32', onnx: 'llama-gqa-random' },
  'hf-llama-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-llama-fp16': { dtype: 'float16', onnx: null },
  'hf-llama3-rope': { dtype: 'float32', onnx: null },
  'hf-llama3-rope-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-llama-linear-rope': { dtype: 'float32', onnx: null },
  'hf-mistral': { dtype: 'float32', onnx: 'mistral-swa' },
  'hf-mistral-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-qwen2': { dtype: 'float32', onnx: 'qwen2-bias' },
  'hf-qwen2-swa-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-qwen3': { dtype: 'float32', onnx: 'qwen3-qknorm' },
  'hf-qwen3-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-gpt2': { dtype: 'float32', onnx: 'gpt2-random' },
  'hf-gpt2-bare-bf16': { dtype: 'bfloat16', onnx: null },
} as const;
export type HfCheckpointName = keyof typeof HF_CHECKPOINTS;

/** The hub-cache fixture's model: `main` and `early` are two snapshots with different weights. */
export const HUB_MODEL = 'sink-lens/tiny-llama';

function make(args: string[]): void {
  const missing = torchMissing();
  if (missing) throw new Error(missing);
  execFileSync(PYTHON, [TOOL, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
}

export function hfCheckpoint(name: HfCheckpointName): string {
  const folder = join(hfFixturesRoot, name);
  if (!existsSync(join(folder, 'fixture.json'))) make(['--out', hfFixturesRoot, '--only', name]);
  return folder;
}

/** A hub cache (pass it as HF_HUB_CACHE) holding HUB_MODEL. */
export function hubCacheFixture(): string {
  const hub = join(hfFixturesRoot, 'hub');
  if (!existsSync(join(hub, 'models--sink-lens--tiny-llama', 'refs', 'early'))) make(['--out', hfFixturesRoot, '--only', 'hub']);
  return hub;
}

/**
 * stories260k (../shared/models) converted as transformers converts Meta's LLaMA checkpoints:
 * q/k rows permuted for rotate_half. `unpermuted`: the rows kept as they are (a wrong conversion).
 */
export function storiesCheckpoint(unpermuted = false): string {
  const name = unpermuted ? 'hf-stories260k-unpermuted' : 'hf-stories260k';
  const folder = join(hfFixturesRoot, name);
  if (!existsSync(join(folder, 'fixture.json'))) {
    make(['--from-onnx-llama', join(stories260k, 'model.onnx'), '--out', hfFixturesRoot, '--name', name, ...(unpermuted ? ['--unpermuted'] : [])]);
  }
  return folder;
}

export function storiesCheckpointMissing(): string | null {
  return sharedModelsMissing() ?? torchMissing();
}
