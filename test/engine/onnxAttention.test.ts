/**
 * ONNX `Attention` (opset 23) on the llama-attention23 fixture (tools/torch_ref/attention23.py:
 * llama-gqa-random's weights, 3-D attention with q_num_heads / kv_num_heads in even layers, 4-D in
 * odd ones, grouped KV heads). The engine reads the operator's own probabilities (output 3 with
 * qk_matmul_output_mode = 3); forced to recompute them instead, it must find the same numbers.
 * Both must reproduce the operator's output as P·V, and match the PyTorch reference to 1e-4.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../../src/engine/analyzer';
import { verificationOutputs } from '../../src/engine/graph/probes';
import { inspectModel } from '../../src/engine/model/inspectModel';
import { PreparedModel, prepareModel } from '../../src/engine/model/preparedModel';
import { runProbes } from '../../src/engine/probeRun';
import { assertClose } from '../support/compare';
import { fixture } from '../support/fixtures';
import { assertMatchesReference } from '../support/referenceChecks';
import { runReference, torchMissing } from '../support/torchReference';

const IDS = [0, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];
const LAYERS = 4;
const HEADS = 8;

/** Every layer's full attention map [H][T][T] and the P·V check outputs, from one prepared copy. */
async function probeAllLayers(prepared: PreparedModel) {
  const session = await ort.InferenceSession.create(prepared.probedPath);
  try {
    const extraOutputs = Array.from({ length: LAYERS }, (_, l) => [verificationOutputs.recomputed(l), verificationOutputs.fused(l)]).flat();
    const runs = [];
    for (let l = 0; l < LAYERS; l++) runs.push(await runProbes(session, prepared, { rows: [IDS], mapLayer: l, extraOutputs }));
    return { maps: runs.map((run) => run.attentionMap!), extra: runs[0].extra, heads: runs[0].heads, row: runs[0].rows[0] };
  } finally {
    await session.release();
  }
}

describe('ONNX Attention (opset 23)', { skip: torchMissing() ?? false }, () => {
  let folder: string;
  let operator: Awaited<ReturnType<typeof probeAllLayers>>;
  let recomputed: Awaited<ReturnType<typeof probeAllLayers>>;

  before(async () => {
    folder = fixture('llama-attention23');
    const cacheFolder = mkdtempSync(join(tmpdir(), 'sink-lens-attention23-'));
    const byOperator = prepareModel(join(folder, 'model.onnx'), { verifyRecomputation: true, cacheFolder });
    const byRecomputation = prepareModel(join(folder, 'model.onnx'), { verifyRecomputation: true, recompute: true, cacheFolder });
    assert.equal(byOperator.attentionPath, 'fused-qk-output');
    assert.equal(byRecomputation.attentionPath, 'recomputed');
    for (const layer of byOperator.layout.layers) {
      assert.equal(layer.attention.kind, 'fused');
      if (layer.attention.kind === 'fused') assert.deepEqual([layer.attention.node.domain, layer.attention.node.opType], ['', 'Attention']);
    }
    operator = await probeAllLayers(byOperator);
    recomputed = await probeAllLayers(byRecomputation);
  });

  it('matches one Attention node per layer and reports the operator-output path before the first run', () => {
    const summary = inspectModel(folder);
    assert.equal(summary.layers, LAYERS);
    assert.equal(summary.attention, 'fused-qk-output');
    assert.equal(summary.heads, HEADS);
    assert.equal(summary.kvHeads, 4);
  });

  it("the operator's probabilities are causal rows that sum to 1, in the 3-D and the 4-D layers", () => {
    const T = IDS.length;
    assert.equal(operator.heads, HEADS);
    operator.maps.forEach((map, l) => {
      for (let h = 0; h < HEADS; h++) {
        for (let q = 0; q < T; q++) {
          const row = map.subarray((h * T + q) * T, (h * T + q + 1) * T);
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `layer ${l} head ${h} query ${q} sums to 1`);
          for (let k = q + 1; k < T; k++) assert.equal(row[k], 0, `layer ${l} head ${h} query ${q} sees no future key ${k}`);
        }
      }
    });
  });

  it("P·V reproduces the operator's output, from its own probabilities and from recomputed ones", () => {
    for (let l = 0; l < LAYERS; l++) {
      for (const [path, run] of [
        ['operator output', operator],
        ['recomputed', recomputed],
      ] as const) {
        assertClose(run.extra[verificationOutputs.recomputed(l)], run.extra[verificationOutputs.fused(l)], `layer ${l}, ${path}: P·V vs the operator's output`, 1e-5, 1e-6);
      }
    }
  });

  it("recomputation (grouped heads expanded, 4-D head counts read at run time) gives the operator's probabilities", () => {
    for (let l = 0; l < LAYERS; l++) assertClose(recomputed.maps[l], operator.maps[l], `layer ${l} attention map`, 1e-5, 1e-6);
  });

  it('the attention each key receives and the layer medians match the PyTorch reference, by the operator and recomputed', () => {
    const reference = runReference(folder, IDS, ['--no-logits']);
    for (const [path, run] of [
      ['operator output', operator],
      ['recomputed', recomputed],
    ] as const) {
      assertClose(run.row.received, reference.received, `${path}: attention received per key`);
      assertClose(run.row.layerMedian, reference.layerMedian, `${path}: layer median |h| at every depth`);
    }
  });

  describe('matches the PyTorch reference of the same weights (1e-4)', () => {
    let analyzer: Analyzer;
    before(async () => {
      analyzer = await Analyzer.open(folder, { device: 'cpu' });
    });
    after(() => analyzer?.dispose());

    it('names the ONNX Attention path in the report, and every quantity matches', async () => {
      // The exported graph is the reference's model: its logits agree.
      const session = await ort.InferenceSession.create(join(folder, 'model.onnx'));
      const { logits } = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(IDS, BigInt), [1, IDS.length]) });
      await session.release();
      assertClose(logits.data as Float32Array, runReference(folder, IDS).logits, 'logits of the unmodified model', 1e-4, 1e-4);

      for (const mapLayer of [0, 1]) {
        const report = await assertMatchesReference(analyzer, folder, IDS, mapLayer);
        assert.equal(report.model.attention, 'fused-qk-output');
        assert.equal(report.model.heads, HEADS);
      }
    });

    it('with head 0:1 ablated', async () => {
      const mask = Array.from({ length: LAYERS }, (_, l) => Array.from({ length: HEADS }, (_, h) => (l === 0 && h === 1 ? 0 : 1)));
      const probes = await analyzer.probe({ rows: [IDS], headMask: [mask] });
      assertClose(probes.rows[0].norms, runReference(folder, IDS, ['--ablate', '0:1', '--no-logits']).norms, 'residual norms with L0H1 ablated');
    });
  });
});
