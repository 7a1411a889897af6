/**
 * The layer layout Sink Lens recognises (`model.layout`, `sink-lens inspect`) for every supported
 * architecture: attention path, window per layer, norm placement, residual form, rotary fraction,
 * MLP kind. A checkpoint's comes from its spec; the graph built from that spec must show the same
 * structure to the matcher (residual form, norms, windows, MoE layers), which checks the matcher
 * against a known answer. ONNX exports' layouts come from their graphs (and config.json for what a
 * graph does not show).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspectModel } from '../../src/engine/model/inspectModel';
import type { LayerLayout, ModelLayout } from '../../src/protocol/layerLayout';
import { cli } from '../support/cliRun';
import { fixture, FixtureName } from '../support/fixtures';
import { HfCheckpointName, hfCheckpoint } from '../support/hfFixtures';
import { onnxExports, sharedModelsMissing } from '../support/paths';
import { torchMissing } from '../support/torchReference';

type Expected = Omit<LayerLayout, 'layer' | 'attention'>;
const PRE = { attention: 'pre', mlp: 'pre' } as const;
const layer = (overrides: Partial<Expected> = {}): Expected => ({ window: null, norms: PRE, residual: 'sequential', rotaryFraction: 1, mlp: 'dense', ...overrides });
const repeat = (count: number, make: (l: number) => Expected) => Array.from({ length: count }, (_, l) => make(l));

const SANDWICH = { attention: 'sandwich', mlp: 'sandwich' } as const;
const NEOX = repeat(3, () => layer({ residual: 'parallel', rotaryFraction: 0.25 }));
const NEOX_SEQUENTIAL = repeat(2, () => layer({ rotaryFraction: 0.5 }));
const GEMMA2 = repeat(3, (l) => layer({ norms: SANDWICH, window: l % 2 === 0 ? 4 : null }));
const GEMMA3 = repeat(4, (l) => layer({ norms: SANDWICH, window: l === 2 ? null : 4 }));
const OLMO2 = repeat(2, () => layer({ norms: { attention: 'post', mlp: 'post' } }));
const QWEN3_MOE = repeat(3, (l) => layer({ mlp: l === 1 ? 'dense' : 'mixture-of-experts' }));

const CHECKPOINTS: [HfCheckpointName, Expected[]][] = [
  ['hf-llama', repeat(4, () => layer())],
  ['hf-mistral', repeat(2, () => layer({ window: 4 }))],
  ['hf-qwen2-swa-bf16', repeat(3, (l) => layer({ window: l >= 1 ? 4 : null }))],
  ['hf-qwen3', repeat(2, () => layer())],
  ['hf-gpt2', repeat(3, () => layer({ rotaryFraction: 0 }))],
  ['hf-neox', NEOX],
  ['hf-neox-sequential', NEOX_SEQUENTIAL],
  ['hf-gemma2', GEMMA2],
  ['hf-gemma2-bf16', GEMMA2],
  ['hf-gemma3', GEMMA3],
  ['hf-phi3', repeat(2, () => layer())],
  ['hf-phi3-longrope', repeat(2, () => layer({ rotaryFraction: 0.75 }))],
  ['hf-olmo2', OLMO2],
  ['hf-qwen3-moe', QWEN3_MOE],
];

const EXPORTS: [FixtureName, Expected[]][] = [
  ['llama-gqa-random', repeat(4, () => layer())],
  ['gpt2-random', repeat(3, () => layer({ rotaryFraction: 0 }))],
  ['mistral-swa', repeat(2, () => layer({ window: 4 }))],
  ['phi3-fused', repeat(2, () => layer())],
  ['gemma-scaled', GEMMA2],
  ['qwen3-moe', QWEN3_MOE],
  ['neox-parallel', NEOX],
  ['neox-split-sum', NEOX],
  ['neox-sequential', NEOX_SEQUENTIAL],
  ['olmo2-postnorm', OLMO2],
  ['gemma3-local', GEMMA3],
];

const withoutLayer = (layout: ModelLayout) => layout.layers.map(({ layer: _, attention: __, ...rest }) => rest);

describe('layer layout of each Hugging Face checkpoint (from its spec, and as the matcher sees the graph built from it)', { skip: torchMissing() ?? false }, () => {
  for (const [name, expected] of CHECKPOINTS) {
    it(name, () => {
      const inspection = inspectModel(hfCheckpoint(name));
      assert.deepEqual(inspection.layout.from, { structure: 'checkpoint', window: 'checkpoint', rotary: 'checkpoint' });
      assert.deepEqual(withoutLayer(inspection.layout), expected);
      assert.ok(inspection.layout.layers.every((entry) => entry.attention === 'softmax'));
      // The built graph alone (no config.json beside it): the matcher must find the same structure.
      const seen = inspectModel(inspection.builtGraph!).layout;
      assert.deepEqual(
        seen.layers.map(({ window, norms, residual, mlp }) => ({ window, norms, residual, mlp })),
        expected.map(({ window, norms, residual, mlp }) => ({ window, norms, residual, mlp })),
      );
    });
  }
});

describe('layer layout of ONNX exports (from the graph; rotary fraction from config.json)', { skip: torchMissing() ?? false }, () => {
  for (const [name, expected] of EXPORTS) {
    it(name, () => {
      const { layout } = inspectModel(fixture(name));
      assert.equal(layout.from.structure, 'graph');
      assert.deepEqual(withoutLayer(layout), expected);
    });
  }

  it('sink-lens inspect prints it: a Pythia-shaped checkpoint is parallel, with a quarter of each head rotated', () => {
    const result = cli('inspect', '--model', hfCheckpoint('hf-neox'));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^layout\n {2}layers 0-2: softmax attention, full causal, pre-norm, parallel residual, rotary 25 % of dims, dense MLP\n/m);
    const gemma = cli('inspect', '--model', fixture('gemma3-local'));
    assert.match(gemma.stdout, /layers 0-1, 3: softmax attention, sliding window 4, sandwich-norm, sequential residual, rotary all dims, dense MLP/);
    assert.match(gemma.stdout, /layer 2: softmax attention, full causal, sandwich-norm/);
    assert.match(gemma.stdout, /windows from graph; rotary from config\.json/);
  });
});

describe('layer layout of fused exporter graphs', { skip: sharedModelsMissing() ?? false }, () => {
  it('GPT-2 with fused Attention and SkipLayerNormalization: recomputed, pre-norm (the fused norm feeds the operator), no rotary', () => {
    const { layout } = inspectModel(join(onnxExports, 'tiny-random-gpt2-fp32'));
    const seen = layout.layers.map((entry) => [entry.attention, entry.norms.attention, entry.norms.mlp, entry.residual, entry.rotaryFraction]);
    assert.deepEqual(
      seen,
      Array.from({ length: 5 }, () => ['recomputed', 'pre', 'pre', 'sequential', 0]),
    );
  });

  it('LLaMA with RotaryEmbedding over whole heads: the rotary fraction from the graph', () => {
    const { layout } = inspectModel(join(onnxExports, 'tiny-random-LlamaForCausalLM-fp16'));
    assert.deepEqual(layout.from.rotary, 'graph');
    assert.deepEqual(
      layout.layers.map((entry) => [entry.attention, entry.norms.attention, entry.rotaryFraction]),
      [
        ['recomputed', 'pre', 1],
        ['recomputed', 'pre', 1],
      ],
    );
  });
});
