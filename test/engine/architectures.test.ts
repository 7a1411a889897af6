/** What the engine reads from each architecture fixture's config and graph. */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { findModelFolders, inspectModel } from '../../src/engine/model/inspectModel';
import { Analyzer } from '../../src/engine/analyzer';
import { fixture, FixtureName } from '../support/fixtures';
import { onnxExports, sharedModels, sharedModelsMissing } from '../support/paths';
import { torchMissing } from '../support/torchReference';

const EXPECTED: { name: FixtureName; architecture: string; layers: number; heads: number; kvHeads: number; sliding: number[]; moeLayers: number[] }[] = [
  { name: 'mistral-swa', architecture: 'mistral', layers: 2, heads: 4, kvHeads: 2, sliding: [0, 1], moeLayers: [] },
  { name: 'qwen2-bias', architecture: 'qwen2', layers: 2, heads: 4, kvHeads: 2, sliding: [], moeLayers: [] },
  { name: 'gemma-scaled', architecture: 'gemma2', layers: 3, heads: 4, kvHeads: 2, sliding: [0, 2], moeLayers: [] },
  { name: 'qwen3-moe', architecture: 'qwen3_moe', layers: 3, heads: 4, kvHeads: 2, sliding: [], moeLayers: [0, 2] },
];

describe('architecture fixtures', { skip: torchMissing() ?? false }, () => {
  for (const expected of EXPECTED) {
    it(`${expected.name}: ${expected.architecture}, sliding-window layers [${expected.sliding}], MoE layers [${expected.moeLayers}]`, async () => {
      const analyzer = await Analyzer.open(fixture(expected.name), { device: 'cpu' });
      try {
        const { model } = analyzer;
        assert.equal(model.architecture, expected.architecture);
        assert.equal(model.layers, expected.layers);
        assert.equal(model.heads, expected.heads);
        assert.equal(model.kvHeads, expected.kvHeads);
        assert.deepEqual(model.slidingWindowLayers, expected.sliding);
        const report = await analyzer.analyze({ kind: 'ids', ids: [0, 5, 9, 33, 2, 7, 100, 4, 11, 12], source: 'test' }, { addBos: false });
        assert.deepEqual(
          report.mlp.layers.flatMap((layer) => (layer.norms === null ? [layer.layer] : [])),
          expected.moeLayers,
        );
        assert.equal(
          report.warnings.some((warning) => warning.code === 'mixture-of-experts'),
          expected.moeLayers.length > 0,
        );
      } finally {
        await analyzer.dispose();
      }
    });
  }
});

describe('model inspection before the first run', () => {
  it('summarises a fused fp16 export with external data without creating a session', { skip: sharedModelsMissing() ?? false }, () => {
    const summary = inspectModel(join(onnxExports, 'tiny-random-LlamaForCausalLM-fp16'));
    assert.equal(summary.architecture, 'llama');
    assert.equal(summary.layers, 2);
    assert.equal(summary.heads, 1);
    assert.equal(summary.dtype, 'float16');
    assert.equal(summary.attention, 'recomputed');
    assert.equal(summary.hasTokenizer, true);
    assert.equal(
      summary.sizeBytes,
      statSync(join(onnxExports, 'tiny-random-LlamaForCausalLM-fp16', 'model.onnx')).size + statSync(join(onnxExports, 'tiny-random-LlamaForCausalLM-fp16', 'model.onnx.data')).size,
    );
  });

  it('finds model folders under a workspace, skipping node_modules', { skip: sharedModelsMissing() ?? false }, () => {
    const found = findModelFolders(sharedModels)
      .map((folder) => relative(sharedModels, folder))
      .sort();
    assert.deepEqual(found, ['onnx-exports/tiny-qwen35-cuda', 'onnx-exports/tiny-random-LlamaForCausalLM-fp16', 'onnx-exports/tiny-random-gpt2-fp32', 'stories260k']);
  });
});
