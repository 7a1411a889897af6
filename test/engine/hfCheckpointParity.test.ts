/**
 * Hugging Face checkpoints opened directly (the graph built from config.json and the safetensors
 * headers) against the PyTorch reference that follows transformers' modelling code for each
 * architecture (tools/hf_ref: rotate_half on the stored q/k rows, rope_scaling, sliding windows,
 * q/k/v bias, q/k norms, GPT-2's Conv1D and fused c_attn): residual norms, first-token attention,
 * sink scores, MLP activation norms, the P0 hidden state, one attention map, logits, and a head
 * ablation. float32 and bfloat16 checkpoints to 1e-4 (a bf16 checkpoint is computed in float32 from
 * its bf16 values on the CPU, which is what the reference computes); float16 computes in float16
 * and is held to float16 rounding.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PromptInput } from '../../src/engine/api';
import { Analyzer } from '../../src/engine/analyzer';
import { assertClose } from '../support/compare';
import { HF_CHECKPOINTS, HfCheckpointName, hfCheckpoint } from '../support/hfFixtures';
import { assertMatchesReferenceWithLogits } from '../support/referenceChecks';
import { runReference, torchMissing } from '../support/torchReference';

const SHORT = [0, 72, 101, 108, 108, 111];
const LONG = Array.from({ length: 40 }, (_, i) => (i * 53) % 256);

/**
 * float16: onnxruntime computes the model in float16 (the reference in float32 from the same fp16
 * values). Measured on LONG: 4.4e-4 relative on residual norms, 8.2e-4 on MLP norms, 5e-4 on sink
 * scores, 1.1e-3 absolute on single attention probabilities, 4e-3 absolute on logits. The bounds
 * leave about 5x room.
 */
const FLOAT16 = { rtol: 4e-3, probabilityAtol: 5e-3, logitsAtol: 2e-2 };

const EXPECTED: Partial<Record<HfCheckpointName, { architecture: string; heads: number; kvHeads: number; sliding: number[] }>> = {
  'hf-llama': { architecture: 'llama', heads: 8, kvHeads: 4, sliding: [] },
  'hf-llama3-rope': { architecture: 'llama', heads: 4, kvHeads: 2, sliding: [] },
  'hf-mistral': { architecture: 'mistral', heads: 4, kvHeads: 2, sliding: [0, 1] },
  'hf-qwen2': { architecture: 'qwen2', heads: 4, kvHeads: 2, sliding: [] },
  'hf-qwen2-swa-bf16': { architecture: 'qwen2', heads: 4, kvHeads: 2, sliding: [1, 2] },
  'hf-qwen3': { architecture: 'qwen3', heads: 4, kvHeads: 2, sliding: [] },
  'hf-gpt2': { architecture: 'gpt2', heads: 4, kvHeads: 4, sliding: [] },
};

for (const name of Object.keys(HF_CHECKPOINTS) as HfCheckpointName[]) {
  const { dtype } = HF_CHECKPOINTS[name];
  describe(`Hugging Face checkpoint ${name} (${dtype}) matches the transformers-following reference`, { skip: torchMissing() ?? false }, () => {
    let analyzer: Analyzer;
    let folder: string;
    before(async () => {
      folder = hfCheckpoint(name);
      analyzer = await Analyzer.open(folder, { device: 'cpu' });
    });
    after(() => analyzer?.dispose());

    it('says what it is', () => {
      const model = analyzer.model;
      assert.equal(model.dtype, dtype);
      assert.equal(model.torchDtype, dtype);
      assert.equal(model.attention, 'softmax');
      assert.equal(model.checkpoint?.format, 'safetensors');
      assert.equal(model.checkpoint?.folder, folder);
      const expected = EXPECTED[name];
      if (expected) {
        assert.equal(model.architecture, expected.architecture);
        assert.equal(model.heads, expected.heads);
        assert.equal(model.kvHeads, expected.kvHeads);
        assert.deepEqual(model.slidingWindowLayers, expected.sliding);
      }
      const warned = analyzer.modelWarnings.map((warning) => warning.code);
      assert.deepEqual(warned, dtype === 'bfloat16' ? ['bfloat16-computed-in-float32'] : []);
    });

    for (const ids of dtype === 'float32' ? [SHORT, LONG] : [LONG]) {
      it(`${ids.length} tokens`, async () => {
        const mapLayer = 1;
        if (dtype === 'float16') {
          await assertNearFloat16(analyzer, folder, ids, mapLayer);
          return;
        }
        await assertMatchesReferenceWithLogits(analyzer, folder, ids, mapLayer);
      });
    }

    it('head 0:1 ablated', async () => {
      const { layers, heads } = analyzer.model;
      const mask = Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => (l === 0 && h === 1 ? 0 : 1)));
      const probes = await analyzer.probe({ rows: [LONG], headMask: [mask] });
      const reference = runReference(folder, LONG, ['--ablate', '0:1', '--no-logits']);
      assertClose(probes.rows[0].norms, reference.norms, 'residual norms with L0H1 ablated', dtype === 'float16' ? FLOAT16.rtol : 1e-4);
    });
  });
}

async function assertNearFloat16(analyzer: Analyzer, folder: string, ids: number[], mapLayer: number): Promise<void> {
  const input: PromptInput = { kind: 'ids', ids, source: 'test' };
  const reference = runReference(folder, ids, ['--full-attention', String(mapLayer)]);
  const report = await analyzer.analyze(input, { addBos: false });
  assertClose(report.residual.norms, reference.norms, 'residual norms (fp16)', FLOAT16.rtol);
  assertClose(report.attention.firstTokenAttention, reference.firstTokenAttention, 'first-token attention (fp16)', 0, FLOAT16.probabilityAtol);
  assertClose(report.attention.sinkScore, reference.sinkScore, 'sink scores (fp16)', FLOAT16.rtol);
  report.mlp.layers.forEach((layer, l) => assertClose(layer.norms, reference.mlpNorms[l], `layer ${l} MLP norms (fp16)`, FLOAT16.rtol));
  assertClose((await analyzer.attentionMaps(input, mapLayer, { addBos: false })).data, reference.attention!, 'attention map (fp16)', 0, FLOAT16.probabilityAtol);
  const logits = (await analyzer.probe({ rows: [ids], extraOutputs: ['logits'] })).extra.logits;
  assertClose(logits, reference.logits, 'logits (fp16)', 0, FLOAT16.logitsAtol);
}
