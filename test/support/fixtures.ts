/**
 * Fixture models made by this project's own scripts (tools/torch_ref/export_fixtures.py), exported
 * on first use into .cache/fixtures, which is not committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesRoot, repoRoot } from './paths';
import { PYTHON, torchMissing } from './torchReference';

export const FIXTURES = [
  'llama-gqa-random',
  'gpt2-random',
  'llama-trained',
  'gpt2-trained',
  'mistral-swa',
  'qwen2-bias',
  'qwen3-qknorm',
  'phi3-fused',
  'gemma-scaled',
  'qwen3-moe',
  'neox-parallel',
  'neox-split-sum',
  'neox-sequential',
  'olmo2-postnorm',
  'gemma3-local',
] as const;
/**
 * Made from llama-gqa-random's model by tools/torch_ref/variants.py, and tested on their own (not
 * in the all-fixture parity run): ONNX Attention at opset 23, and bfloat16.
 */
export const VARIANT_FIXTURES = ['llama-attention23', 'llama-bf16', 'llama-bf16-storage'] as const;
/**
 * Exporter shapes from the wild (tools/torch_ref/wild.py, issue 12): gpt2-random's or
 * llama-gqa-random's model written another way, with other inputs; tested on their own.
 */
export const WILD_FIXTURES = ['gpt2-conv1d', 'gpt2-sliced-last', 'gpt2-mask-additive', 'gpt2-mask-bool', 'gpt2-mask-keep', 'gpt2-fixed-length', 'llama-mask-only', 'llama-positions-only'] as const;
export type WildFixture = (typeof WILD_FIXTURES)[number];
export type FixtureName = (typeof FIXTURES)[number] | (typeof VARIANT_FIXTURES)[number] | WildFixture | 'llama-bench-4' | 'llama-bench-24';

/** The fixture's folder, exported now if it is missing; throws with the reason when it cannot be made. */
export function fixture(name: FixtureName): string {
  const folder = join(fixturesRoot, name);
  if (existsSync(join(folder, 'model.onnx')) && existsSync(join(folder, 'weights.pt'))) return folder;
  const missing = torchMissing();
  if (missing) throw new Error(missing);
  execFileSync(PYTHON, [join(repoRoot, 'tools', 'torch_ref', 'export_fixtures.py'), '--out', fixturesRoot, '--only', name], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, OMP_NUM_THREADS: '2' },
  });
  return folder;
}
