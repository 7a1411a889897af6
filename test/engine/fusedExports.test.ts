/**
 * Real exporter outputs (onnxruntime-genai test models, random weights): com.microsoft Attention
 * with EmbedLayerNormalization and SkipLayerNormalization (GPT-2), MultiHeadAttention with
 * RotaryEmbedding, fp16 and external data (LLaMA), GroupQueryAttention at opset 21 (Qwen). The
 * probabilities are recomputed from each fused operator's inputs; P·V must reproduce the
 * operator's own output, rows must sum to 1 and be causal, and the attention each key receives must
 * be the mean of those maps over heads and queries.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../../src/engine/analyzer';
import { verificationOutputs } from '../../src/engine/graph/probes';
import { prepareModel } from '../../src/engine/model/preparedModel';
import { runProbes } from '../../src/engine/probeRun';
import { assertClose } from '../support/compare';
import { onnxExports, sharedModelsMissing } from '../support/paths';

const EXPORTS = [
  { folder: 'tiny-random-gpt2-fp32', onnx: 'past.onnx', layers: 5, heads: 4, dtype: 'float32', tolerance: 1e-4 },
  { folder: 'tiny-random-LlamaForCausalLM-fp16', onnx: 'model.onnx', layers: 2, heads: 1, dtype: 'float16', tolerance: 2e-3 },
  { folder: 'tiny-qwen35-cuda', onnx: 'decoder.onnx', layers: 2, heads: 4, dtype: 'float16', tolerance: 2e-3 },
];

const IDS = [1, 17, 5, 300, 42, 9, 77, 512, 3, 250, 6, 901];

describe('fused exporter graphs', { skip: sharedModelsMissing() ?? false }, () => {
  for (const spec of EXPORTS) {
    it(`${spec.folder}: recomputed attention reproduces the fused operator's output`, async () => {
      const prepared = prepareModel(join(onnxExports, spec.folder, spec.onnx), { verifyRecomputation: true, cacheFolder: mkdtempSync(join(tmpdir(), 'sink-lens-fused-')) });
      assert.equal(prepared.attentionPath, 'recomputed');
      assert.equal(prepared.dtype, spec.dtype);
      assert.equal(prepared.layout.layers.length, spec.layers);
      const session = await ort.InferenceSession.create(prepared.probedPath);
      const extraOutputs = prepared.layout.layers.flatMap((_, l) => [verificationOutputs.recomputed(l), verificationOutputs.fused(l)]);
      const results = await runProbes(session, prepared, { rows: [IDS], mapLayer: spec.layers - 1, extraOutputs });
      for (let l = 0; l < spec.layers; l++) {
        assertClose(results.extra[verificationOutputs.recomputed(l)], results.extra[verificationOutputs.fused(l)], `layer ${l}: P·V vs the fused output`, spec.tolerance, spec.tolerance);
      }
      const T = IDS.length;
      assert.equal(results.heads, spec.heads);
      // No PyTorch model runs these operators: the attention each key receives is checked against
      // every layer's full map, whose P·V reproduces the operator's own output (above).
      for (let l = 0; l < spec.layers; l++) {
        const { attentionMap } = await runProbes(session, prepared, { rows: [IDS], mapLayer: l });
        const expected = new Float64Array(T);
        for (let row = 0; row < spec.heads * T; row++) for (let k = 0; k < T; k++) expected[k] += attentionMap![row * T + k] / (spec.heads * T);
        assertClose(results.rows[0].received[l], expected, `layer ${l}: attention received vs the mean of its map`, 1e-5, 1e-7);
      }
      await session.release();
      const map = results.attentionMap!;
      for (let h = 0; h < spec.heads; h++) {
        for (let q = 0; q < T; q++) {
          const row = map.subarray((h * T + q) * T, (h * T + q + 1) * T);
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `head ${h} query ${q} sums to 1`);
          for (let k = q + 1; k < T; k++) assert.equal(row[k], 0, `head ${h} query ${q} sees no future key ${k}`);
        }
      }
    });

    it(`${spec.folder}: analyses end to end and names the attention path`, async () => {
      const analyzer = await Analyzer.open(join(onnxExports, spec.folder, spec.onnx), { device: 'cpu' });
      try {
        const report = await analyzer.analyze({ kind: 'ids', ids: IDS, source: 'test' }, { addBos: false });
        assert.equal(report.model.attention, 'recomputed');
        assert.equal(report.model.layers, spec.layers);
        assert.equal(report.residual.depths.length, 2 * spec.layers + 1);
        for (const layer of report.attention.firstTokenAttention) for (const head of layer) assert.ok(Math.abs(head[0] - 1) < 1e-6, 'query 0 attends only to itself');
      } finally {
        await analyzer.dispose();
      }
    });
  }
});
