/**
 * bfloat16 models (tools/torch_ref/bf16.py; llama-gqa-random's weights rounded to bfloat16, with
 * a KV cache). onnxruntime-node has no bfloat16 tensor and its CPU provider no bfloat16 arithmetic
 * (src/engine/graph/bfloat16Compute.ts lists the kernels it has), so:
 *  - llama-bf16-storage (bf16 weights, bf16 cache inputs and outputs, bf16 logits, float32 compute)
 *    runs on the CPU once its bf16 inputs and outputs are declared float32 in the probed copy, and
 *    matches the float32 PyTorch reference of the same bf16-valued weights to 1e-4, like any
 *    float32 model: only the logits are rounded to bf16 (8 significant bits), so they match to 2^-8.
 *  - llama-bf16 (all of it bf16) is computed in float32 on the CPU from its bf16 weights, which the
 *    probed copy keeps as stored. That is exact, so it matches PyTorch in float32 from the very
 *    values the bf16 graph holds (reference.py --bfloat16-values) to 1e-4; against PyTorch's own
 *    bf16 arithmetic (--bfloat16) it differs by bf16 rounding, and the report says so.
 *  - what the widening cannot reach (here a subgraph) is still refused with `no-bfloat16-kernel`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../../src/engine/analyzer';
import { SinkLensError } from '../../src/engine/errors';
import { BFLOAT16_AS_FLOAT32_SCOPE, firstBfloat16Arithmetic } from '../../src/engine/graph/bfloat16Compute';
import { probeNodePrefix } from '../../src/engine/graph/editBuilder';
import { GraphIndex } from '../../src/engine/graph/graphIndex';
import { TensorTypes } from '../../src/engine/graph/tensorTypes';
import { inspectModel } from '../../src/engine/model/inspectModel';
import { prepareModel } from '../../src/engine/model/preparedModel';
import { FileSource } from '../../src/engine/onnx/byteSource';
import { DataType, OnnxModel, parseModel } from '../../src/engine/onnx/proto';
import { runProbes } from '../../src/engine/probeRun';
import type { SinkReport } from '../../src/protocol/report';
import { explainSessionFailure } from '../../src/engine/runtime/missingKernel';
import { cudaProviderInstalled } from '../../src/engine/runtime/sessionFactory';
import { assertClose } from '../support/compare';
import { fixture } from '../support/fixtures';
import { assertMatchesReference } from '../support/referenceChecks';
import { PYTHON, runReference, torchMissing } from '../support/torchReference';

const IDS = [0, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];
const BFLOAT16_LOGITS_RTOL = 2 ** -8;
/** float32 from the same bf16 values: the widening is exact, so this is the float32 tolerance. */
const WIDENED_RTOL = 1e-4;
/**
 * Against PyTorch's bf16 arithmetic, which rounds every intermediate result to 8 significant bits
 * (relative 2^-9 each) through 4 layers: measured worst cases on these ids were 6e-3 for residual
 * norms, 1.3e-2 for MLP norms, 1.5e-2 for sink scores, 2.6e-2 absolute for a single attention
 * probability (peaked softmax: a score near 20 moves by ~0.06 when rounded to bf16) and 0.07
 * absolute for logits up to 4.3 in size. The bounds leave about 2x room. They prove less than the
 * 1e-4 comparison does: the float32 reference that leaves the RoPE tables and the attention scale
 * unrounded already misses that one (by 2e-2 on attention to key 0) but would pass these.
 */
const BFLOAT16_RUN = { normsRtol: 2e-2, mlpRtol: 5e-2, sinkRtol: 5e-2, probabilityAtol: 5e-2, logitsAtol: 0.15 };
const SUBGRAPH_CODE = `
import sys, onnx
from onnx import helper, TensorProto
src, dst = sys.argv[1:3]
m = onnx.load(src)
one = helper.make_tensor("one", TensorProto.BFLOAT16, [1], b"\\x80\\x3f", raw=True)
def branch(name):
    node = helper.make_node("Constant", [], [name + "_out"], value=one)
    return helper.make_graph([node], name, [], [helper.make_tensor_value_info(name + "_out", TensorProto.BFLOAT16, [1])])
cond = helper.make_node("Constant", [], ["test_cond"], name="test/cond", value=helper.make_tensor("c", TensorProto.BOOL, [], [True]))
m.graph.node.extend([cond, helper.make_node("If", ["test_cond"], ["test_if_out"], name="test/If", then_branch=branch("then"), else_branch=branch("else"))])
onnx.save(m, dst)
`;
const EXTERNAL_DATA_CODE = `
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=0)
`;

const cacheFolder = () => mkdtempSync(join(tmpdir(), 'sink-lens-bf16-'));
// 'auto' falls back to the CPU where the CUDA provider is not installed, and must do the same there.
const cpuDevices = () => (cudaProviderInstalled() ? (['cpu'] as const) : (['cpu', 'auto'] as const));

function withModel<T>(path: string, use: (model: OnnxModel) => T): T {
  const source = new FileSource(path);
  try {
    return use(parseModel(source));
  } finally {
    source.close();
  }
}

/** Each initializer's encoded TensorProto, by name: what the probed copy must keep byte for byte. */
function initializerBytes(model: OnnxModel): Map<string, string> {
  const names = [...model.graph.initializers.keys()];
  const fields = model.graph.fields.filter((field) => field.field === 5);
  return new Map(fields.map((field, i) => [names[i], Buffer.from(model.source.read(field.start, field.end)).toString('base64')]));
}

function assertSaysFloat32(report: SinkReport): void {
  assert.equal(report.model.dtype, 'bfloat16', "the summary keeps the model's own dtype");
  assert.equal(report.runtime.executionProvider, 'cpu');
  const warning = report.warnings.find((candidate) => candidate.code === 'bfloat16-computed-in-float32');
  assert.ok(warning, JSON.stringify(report.warnings));
  assert.match(warning.message, /computes in bfloat16; onnxruntime [\d.]+'s CPU provider has no bfloat16 arithmetic, so Sink Lens computed it in float32 from its bfloat16 weights/);
}

describe('bfloat16 models', { skip: torchMissing() ?? false }, () => {
  it('bf16 weights, KV cache and logits with float32 compute: inputs and outputs declared float32, numbers match the reference', async () => {
    const folder = fixture('llama-bf16-storage');
    const prepared = prepareModel(join(folder, 'model.onnx'), { cacheFolder: cacheFolder() });
    const declared = prepared.model.graph;
    assert.ok(declared.inputs.filter((input) => input.name.startsWith('past_key_values.')).every((input) => input.elemType === DataType.BFloat16));
    assert.ok(declared.outputs.every((output) => output.elemType === DataType.BFloat16));
    assert.equal(prepared.dtype, 'bfloat16', 'the embedding table, seen through its Cast to float32');
    assert.equal(prepared.computesInBfloat16, false, 'only data movement in bf16: nothing to widen');
    const asked = prepareModel(join(folder, 'model.onnx'), { cacheFolder: cacheFolder(), bfloat16InFloat32: true });
    assert.equal(asked.bfloat16InFloat32, false, 'a model that computes in float32 is left as it is on the CPU too');

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
      assert.deepEqual(report.warnings, []);
    } finally {
      await analyzer.dispose();
    }
  });

  it('all-bf16 model: the CPU copy keeps every bf16 weight as stored and computes nothing in bf16', () => {
    const folder = fixture('llama-bf16');
    const summary = inspectModel(folder);
    assert.equal(summary.dtype, 'bfloat16');
    assert.equal(summary.layers, 4);
    const own = prepareModel(join(folder, 'model.onnx'), { cacheFolder: cacheFolder() });
    assert.equal(own.computesInBfloat16, true);
    assert.equal(own.bfloat16InFloat32, false, "for CUDA: the model's own bf16 compute");
    const widened = prepareModel(join(folder, 'model.onnx'), { cacheFolder: cacheFolder(), bfloat16InFloat32: true });
    assert.equal(widened.bfloat16InFloat32, true);
    assert.equal(widened.dtype, 'bfloat16');

    const original = withModel(join(folder, 'model.onnx'), (model) => ({ bytes: initializerBytes(model), types: [...model.graph.initializers.values()].map((t) => t.dataType) }));
    assert.ok(original.types.length > 30 && original.types.every((type) => type === DataType.BFloat16));
    withModel(widened.probedPath, (probed) => {
      const bytes = initializerBytes(probed);
      for (const [name, encoded] of original.bytes) assert.equal(bytes.get(name), encoded, `initializer ${name} is copied as stored`);
      const index = new GraphIndex(probed.graph);
      for (const name of original.bytes.keys()) {
        for (const reader of index.consumersOf(name)) {
          assert.equal(reader.opType, 'Cast', `${name} is read through a Cast`);
          assert.equal(Number(reader.attributes.get('to')?.i), DataType.Float);
          assert.ok(reader.name.startsWith(probeNodePrefix(BFLOAT16_AS_FLOAT32_SCOPE)));
        }
      }
      assert.ok(!probed.graph.nodes.some((node) => Number(node.attributes.get('to')?.i) === DataType.BFloat16), 'no Cast to bf16 is left');
      assert.ok(![...probed.graph.inputs, ...probed.graph.outputs, ...probed.graph.valueInfo.values()].some((info) => info.elemType === DataType.BFloat16));
      assert.equal(firstBfloat16Arithmetic(index, new TensorTypes(index)), null, 'no operator computes in bf16');
    });
    // The original graph does, which is what made it widen.
    withModel(join(folder, 'model.onnx'), (model) => {
      const index = new GraphIndex(model.graph);
      assert.notEqual(firstBfloat16Arithmetic(index, new TensorTypes(index)), null);
    });
  });

  it('all-bf16 model on the CPU: computed in float32 from its bf16 weights, matching PyTorch on the same values to 1e-4 and its bf16 run to bf16 rounding', async () => {
    const folder = fixture('llama-bf16');
    const prepared = prepareModel(join(folder, 'model.onnx'), { cacheFolder: cacheFolder(), bfloat16InFloat32: true });
    const session = await ort.InferenceSession.create(prepared.probedPath, { executionProviders: ['cpu'] });
    let logits: Float32Array;
    try {
      logits = (await runProbes(session, prepared, { rows: [IDS], extraOutputs: ['logits'] })).extra.logits;
    } finally {
      await session.release();
    }
    assertClose(logits, runReference(folder, IDS, ['--bfloat16-values']).logits, 'logits vs float32 from the bf16 values', WIDENED_RTOL, 1e-5);
    const bfloat16Run = runReference(folder, IDS, ['--bfloat16']);
    assertClose(logits, bfloat16Run.logits, 'logits vs PyTorch bf16', 0, BFLOAT16_RUN.logitsAtol);

    for (const device of cpuDevices()) {
      const analyzer = await Analyzer.open(folder, { device });
      try {
        assert.equal(analyzer.executionProvider, 'cpu');
        const report = await assertMatchesReference(analyzer, folder, IDS, 1, WIDENED_RTOL, ['--bfloat16-values']);
        assertSaysFloat32(report);
        assert.equal(report.model.attention, 'softmax');
        assertClose(report.residual.norms, bfloat16Run.norms, 'residual norms vs PyTorch bf16', BFLOAT16_RUN.normsRtol);
        report.mlp.layers.forEach((layer, l) => assertClose(layer.norms, bfloat16Run.mlpNorms[l], `layer ${l} MLP norms vs PyTorch bf16`, BFLOAT16_RUN.mlpRtol));
        assertClose(report.attention.sinkScore, bfloat16Run.sinkScore, 'sink scores vs PyTorch bf16', BFLOAT16_RUN.sinkRtol);
        assertClose(report.attention.firstTokenAttention, bfloat16Run.firstTokenAttention, 'first-token attention vs PyTorch bf16', 0, BFLOAT16_RUN.probabilityAtol);
      } finally {
        await analyzer.dispose();
      }
    }
  });

  it('all-bf16 model with external data: the data file is hard-linked, never read, and gives the same numbers', async () => {
    const folder = fixture('llama-bf16');
    const external = mkdtempSync(join(tmpdir(), 'sink-lens-bf16-external-'));
    execFileSync(PYTHON, ['-c', EXTERNAL_DATA_CODE, join(folder, 'model.onnx'), join(external, 'model.onnx')]);
    copyFileSync(join(folder, 'config.json'), join(external, 'config.json'));
    const data = join(external, 'model.onnx.data');

    const prepared = prepareModel(join(external, 'model.onnx'), { cacheFolder: cacheFolder(), bfloat16InFloat32: true });
    assert.equal(prepared.bfloat16InFloat32, true);
    assert.equal(statSync(join(dirname(prepared.probedPath), 'model.onnx.data')).ino, statSync(data).ino, 'the data file is a hard link of the original');
    const weights = withModel(join(external, 'model.onnx'), (model) => [...model.graph.initializers.keys()]);
    withModel(prepared.probedPath, (probed) => {
      const stored = weights.map((name) => probed.graph.initializers.get(name));
      assert.ok(weights.length > 30 && stored.every((tensor) => tensor?.external && tensor.dataType === DataType.BFloat16), 'the weights stay bf16 in the data file');
    });

    const input = { kind: 'ids', ids: IDS, source: 'test' } as const;
    const reports: SinkReport[] = [];
    for (const model of [folder, external]) {
      const analyzer = await Analyzer.open(model, { device: 'cpu' });
      try {
        reports.push(await analyzer.analyze(input, { addBos: false }));
      } finally {
        await analyzer.dispose();
      }
    }
    assertSaysFloat32(reports[1]);
    assert.deepEqual(reports[1].residual, reports[0].residual);
    assert.deepEqual(reports[1].attention, reports[0].attention);
    assert.deepEqual(reports[1].mlp, reports[0].mlp);
  });

  it('what the widening cannot reach is refused on the CPU with what and where', async () => {
    const folder = fixture('llama-bf16');
    const mutated = mkdtempSync(join(tmpdir(), 'sink-lens-bf16-subgraph-'));
    execFileSync(PYTHON, ['-c', SUBGRAPH_CODE, join(folder, 'model.onnx'), join(mutated, 'model.onnx')]);
    copyFileSync(join(folder, 'config.json'), join(mutated, 'config.json'));
    for (const device of cpuDevices()) {
      await assert.rejects(Analyzer.open(mutated, { device }), (error: unknown) => {
        assert.ok(error instanceof SinkLensError, String(error));
        assert.equal(error.code, 'no-bfloat16-kernel');
        assert.equal(error.category, 'model');
        assert.match(
          error.message,
          /computes in bfloat16, which onnxruntime's CPU provider has no kernels for, and Sink Lens cannot compute it in float32 instead: it cannot see into the subgraph '(then|else)_branch' at node 'test\/If' \(If\)/,
        );
        assert.match(error.message, /run it on CUDA \(device cuda\), or analyse a float16 or float32 export/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }

    // A kernel still missing after the widening (e.g. inside a model-local function) says so.
    const widened = prepareModel(join(folder, 'model.onnx'), { cacheFolder: cacheFolder(), bfloat16InFloat32: true });
    const own = prepareModel(join(folder, 'model.onnx'), { cacheFolder: cacheFolder() });
    const failure = "Could not find an implementation for Mul(14) node with name 'f/Mul'";
    const afterWidening = explainSessionFailure(failure, widened.probedPath, 'cpu', '1.30.0');
    assert.equal(afterWidening?.code, 'no-bfloat16-kernel');
    assert.match(
      afterWidening!.message,
      /Sink Lens computed it in float32 for onnxruntime 1\.30\.0's CPU provider, which has no bfloat16 arithmetic, but Mul-14 at node 'f\/Mul' still has no kernel there/,
    );
    const asIs = explainSessionFailure(failure, own.probedPath, 'cpu', '1.30.0');
    assert.match(asIs!.message, /computes in bfloat16, and onnxruntime 1\.30\.0's CPU provider has no bfloat16 kernel for Mul-14 at node 'f\/Mul'; run it on CUDA/);
  });
});
