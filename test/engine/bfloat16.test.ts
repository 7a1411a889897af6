/**
 * bfloat16 models (tools/torch_ref/bf16.py; llama-gqa-random's weights rounded to bfloat16, with
 * a KV cache). onnxruntime-node has no bfloat16 tensor and its CPU provider no bfloat16 arithmetic
 * (src/engine/runtime/missingKernel.ts lists what it has), so:
 *  - llama-bf16-storage (bf16 weights, bf16 cache inputs and outputs, bf16 logits, float32 compute)
 *    runs on the CPU once its bf16 inputs and outputs are declared float32 in the probed copy, and
 *    matches the float32 PyTorch reference of the same bf16-valued weights to 1e-4, like any
 *    float32 model: only the logits are rounded to bf16 (8 significant bits), so they match to 2^-8.
 *  - llama-bf16 (all of it bf16) is read, but refused on the CPU with an error that names the
 *    operator and node and says what to do, instead of onnxruntime's message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../../src/engine/analyzer';
import { SinkLensError } from '../../src/engine/errors';
import { inspectModel } from '../../src/engine/model/inspectModel';
import { prepareModel } from '../../src/engine/model/preparedModel';
import { DataType } from '../../src/engine/onnx/proto';
import { runProbes } from '../../src/engine/probeRun';
import { cudaProviderInstalled } from '../../src/engine/runtime/sessionFactory';
import { assertClose } from '../support/compare';
import { fixture } from '../support/fixtures';
import { assertMatchesReference } from '../support/referenceChecks';
import { runReference, torchMissing } from '../support/torchReference';

const IDS = [0, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];
const BFLOAT16_LOGITS_RTOL = 2 ** -8;

describe('bfloat16 models', { skip: torchMissing() ?? false }, () => {
  it('bf16 weights, KV cache and logits with float32 compute: inputs and outputs declared float32, numbers match the reference', async () => {
    const folder = fixture('llama-bf16-storage');
    const prepared = prepareModel(join(folder, 'model.onnx'), { cacheFolder: mkdtempSync(join(tmpdir(), 'sink-lens-bf16-')) });
    const declared = prepared.model.graph;
    assert.ok(declared.inputs.filter((input) => input.name.startsWith('past_key_values.')).every((input) => input.elemType === DataType.BFloat16));
    assert.ok(declared.outputs.every((output) => output.elemType === DataType.BFloat16));
    assert.equal(prepared.dtype, 'bfloat16', 'the embedding table, seen through its Cast to float32');

    const session = await ort.InferenceSession.create(prepared.probedPath);
    try {
      const cacheTypes = [...session.inputMetadata, ...session.outputMetadata].filter((meta) => /^(past_key_values|present)\./.test(meta.name)).map((meta) => meta.isTensor && meta.type);
      assert.equal(cacheTypes.length, 16);
      assert.ok(cacheTypes.every((type) => type === 'float32'));
      // The logits leave the graph through the added Cast: the model's bf16 values, widened.
      const results = await runProbes(session, prepared, { rows: [IDS], extraOutputs: ['logits'] });
      assertClose(results.extra.logits, runReference(folder, IDS).logits, 'bf16 logits', BFLOAT16_LOGITS_RTOL, 1e-4);
    } finally {
      await session.release();
    }

    const analyzer = await Analyzer.open(folder, { device: 'cpu' });
    try {
      const report = await assertMatchesReference(analyzer, folder, IDS, 1);
      assert.equal(report.model.dtype, 'bfloat16');
      assert.equal(report.model.attention, 'softmax');
    } finally {
      await analyzer.dispose();
    }
  });

  it('all-bf16 model: read and summarised, then refused on the CPU with the operator, the node and what to do', async () => {
    const folder = fixture('llama-bf16');
    const summary = inspectModel(folder);
    assert.equal(summary.dtype, 'bfloat16');
    assert.equal(summary.layers, 4);
    // 'auto' falls back to the CPU where the CUDA provider is not installed, and must say the same.
    for (const device of cudaProviderInstalled() ? (['cpu'] as const) : (['cpu', 'auto'] as const)) {
      await assert.rejects(Analyzer.open(folder, { device }), (error: unknown) => {
        assert.ok(error instanceof SinkLensError, String(error));
        assert.equal(error.code, 'no-bfloat16-kernel');
        assert.equal(error.category, 'model');
        assert.match(error.message, /computes in bfloat16, and onnxruntime [\d.]+'s CPU provider has no bfloat16 kernel for \w+-\d+ at node '[^']+'/);
        assert.match(error.message, /run it on CUDA \(device cuda\), or analyse a float16 or float32 export/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });
});
