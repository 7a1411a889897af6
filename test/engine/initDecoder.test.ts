/**
 * The real fused GPT-2 export (../shared/models/onnx-exports/tiny-random-gpt2-fp32: com.microsoft
 * Attention, SkipLayerNormalization, past_* inputs) with its last block sliced to the last token as
 * onnxruntime's greedy-search init_decoder does (tools/torch_ref/init_decoder.py). Every one of its
 * 5 layers is reported; depths 4.5 and 5 hold the last position only, equal to the unsliced
 * model's there, null elsewhere (with the warning); everything else equals the unsliced model.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../../src/engine/analyzer';
import { inspectModel } from '../../src/engine/model/inspectModel';
import type { SinkReport } from '../../src/protocol/report';
import { assertClose } from '../support/compare';
import { onnxExports, repoRoot, sharedModelsMissing } from '../support/paths';
import { PYTHON, torchMissing } from '../support/torchReference';
import { closeOrAbsent } from '../support/wildExports';

const IDS = [1, 17, 5, 300, 42, 9, 77, 512, 3, 250, 6, 901];
const T = IDS.length;
const LAYERS = 5;

describe("onnxruntime's init_decoder shape of the real fused GPT-2 export", { skip: sharedModelsMissing() ?? torchMissing() ?? false }, () => {
  const original = join(onnxExports, 'tiny-random-gpt2-fp32', 'past.onnx');
  let sliced: string;
  let full: SinkReport;
  let last: SinkReport;
  let analyzers: Analyzer[] = [];

  before(async () => {
    sliced = join(mkdtempSync(join(tmpdir(), 'sink-lens-init-decoder-')), 'init_decoder.onnx');
    execFileSync(PYTHON, [join(repoRoot, 'tools', 'torch_ref', 'init_decoder.py'), original, sliced], { stdio: ['ignore', 'ignore', 'inherit'] });
    analyzers = [await Analyzer.open(original, { device: 'cpu' }), await Analyzer.open(sliced, { device: 'cpu' })];
    [full, last] = await Promise.all(analyzers.map((analyzer) => analyzer.analyze({ kind: 'ids', ids: IDS, source: 'test' }, { addBos: false })));
  });
  after(() => Promise.all(analyzers.map((analyzer) => analyzer.dispose())));

  it("the sliced graph gives the unsliced one's last logits (run as exported, fed by hand)", async () => {
    const feeds = {
      input_ids: new ort.Tensor('int32', Int32Array.from(IDS), [1, T]),
      position_ids: new ort.Tensor(
        'int32',
        Int32Array.from(IDS, (_, t) => t),
        [1, T],
      ),
      attention_mask: new ort.Tensor('int32', new Int32Array(T).fill(1), [1, T]),
      ...Object.fromEntries(Array.from({ length: LAYERS }, (_, l) => [`past_${l}`, new ort.Tensor('float32', new Float32Array(0), [2, 1, 4, 0, 8])])),
    };
    const logits = [];
    for (const path of [original, sliced]) {
      const session = await ort.InferenceSession.create(path);
      logits.push((await session.run(feeds, ['logits'])).logits);
      await session.release();
    }
    assert.deepEqual(logits[1].dims, [1, 1, 1000]);
    assertClose(logits[1].data as Float32Array, (logits[0].data as Float32Array).subarray((T - 1) * 1000), 'last logits', 1e-5, 1e-5);
  });

  it('every layer is reported: inspect and analyze find 5, as the unsliced model has', () => {
    assert.equal(inspectModel(sliced).layers, LAYERS);
    assert.deepEqual([last.model.layers, last.model.heads], [full.model.layers, full.model.heads]);
    assert.equal(last.model.layers, LAYERS);
  });

  it("depths 4.5 and 5 hold the last position only (the unsliced values there), every other number is the unsliced model's", () => {
    last.residual.norms.forEach((row, d) => {
      const expected = d >= 2 * LAYERS - 1 ? full.residual.norms[d].map((value, t) => (t === T - 1 ? value : null)) : full.residual.norms[d];
      assert.equal(closeOrAbsent(row, expected, `norms at depth ${d / 2}`, 1e-5), null);
    });
    last.mlp.layers.forEach((layer, l) => {
      const expected = l === LAYERS - 1 ? full.mlp.layers[l].norms!.map((value, t) => (t === T - 1 ? value : null)) : full.mlp.layers[l].norms!;
      assert.equal(closeOrAbsent(layer.norms!, expected, `layer ${l} MLP norms`, 1e-5), null);
    });
    assertClose(last.attention.firstTokenAttention, full.attention.firstTokenAttention, 'attention to key 0 of every layer and query', 1e-5);
    assert.deepEqual(
      last.residual.p0NormRatio.map((ratio) => ratio === null),
      [...new Array(2 * LAYERS - 1).fill(false), true, true],
    );
    assert.equal(last.massiveActivations.length, 2 * LAYERS - 1, 'no massive-activation entry where P0 is absent');
    const warning = last.warnings.find((entry) => entry.code === 'partial-positions');
    assert.match(warning?.message ?? '', /^the graph computes depths 4\.5 and 5 only at the last position \(its residual stream is sliced at node 'GatherLastToken_1'\)/);
    assert.equal(
      full.warnings.some((entry) => entry.code === 'partial-positions'),
      false,
    );
  });
});
