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
  'hf-neox': { dtype: 'float32', onnx: 'neox-parallel' },
  'hf-neox-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-neox-sequential': { dtype: 'float32', onnx: 'neox-sequential' },
  'hf-neox-sequential-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-gemma2': { dtype: 'float32', onnx: 'gemma-scaled' },
  'hf-gemma2-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-gemma3': { dtype: 'float32', onnx: 'gemma3-local' },
  'hf-gemma3-scaled': { dtype: 'float32', onnx: null },
  'hf-gemma3-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-phi3': { dtype: 'float32', onnx: 'phi3-fused' },
  'hf-phi3-longrope': { dtype: 'float32', onnx: null },
  'hf-phi3-longrope-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-olmo2': { dtype: 'float32', onnx: 'olmo2-postnorm' },
  'hf-olmo2-bf16': { dtype: 'bfloat16', onnx: null },
  'hf-qwen3-moe': { dtype: 'float32', onnx: 'qwen3-moe' },
  'hf-qwen3-moe-bf16': { dtype: 'bfloat16', onnx: null },
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

const TRACE_TOOL = join(repoRoot, 'tools', 'hf_ref', 'make_trace_fixtures.py');

function makeTraceFixture(part: 'hub' | 'trainer'): void {
  const missing = torchMissing();
  if (missing) throw new Error(missing);
  execFileSync(PYTHON, [TRACE_TOOL, '--out', hfFixturesRoot, '--only', part], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
}

/** The demo model's training checkpoints as hub revisions step0 … step8000 of TRACE_HUB_MODEL (and main = step8000): a hub cache, for HF_HUB_CACHE. */
export function traceHubFixture(): string {
  const hub = join(hfFixturesRoot, 'trace-hub');
  if (!existsSync(join(hub, 'fixture.json'))) makeTraceFixture('hub');
  return hub;
}

export const TRACE_HUB_MODEL = 'sink-lens/sinklet';

/** The same checkpoints (steps 250 … 8000) as a transformers Trainer output_dir: checkpoint-N/ folders, the tokenizer at the top. */
export function trainerRunFixture(): string {
  const run = join(hfFixturesRoot, 'trace-trainer');
  if (!existsSync(join(run, 'fixture.json'))) makeTraceFixture('trainer');
  return run;
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
