/**
 * The engine's numbers against an independent PyTorch implementation of the same weights
 * (tools/torch_ref), to 1e-4 relative: every residual norm, first-token attention, sink score,
 * attention received per key, layer median |h|, MLP activation norm, P0 hidden vector and one full
 * attention map; and, in a batch of two prompts, each row's own.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { PromptInput } from '../../src/engine/api';
import { Analyzer } from '../../src/engine/analyzer';
import { assertClose } from '../support/compare';
import { FIXTURES, fixture } from '../support/fixtures';
import { assertReceivedAndMedians } from '../support/referenceChecks';
import { repoRoot, sharedModelsMissing, stories260k } from '../support/paths';
import { runReference, torchMissing } from '../support/torchReference';

interface Case {
  name: string;
  model: () => string;
  /** What the reference loads: the fixture folder, or the ONNX file whose initializers it reads. */
  referenceModel: () => string;
  prompts: number[][];
  skip: () => string | null;
}

const storiesPrompts = [
  [1, 403, 407, 261, 378],
  // "Once upon a time, there was a little girl named Lily. She loved to play outside in the park."
  [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426],
  Array.from({ length: 96 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 37) % 500))),
];

/** The bundled demo model (tools/sinklet; vocab 323, BOS id 1): a plain torch.onnx export without
 * constant folding (Transposed weights, RoPE computed in the graph), config.json beside it. */
const sinklet = join(repoRoot, 'models', 'sinklet');
const sinkletPrompts = [[1, 5, 9, 12, 40, 77, 150, 259, 260, 300, 322, 7], Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 37) % 320)))];

const cases: Case[] = [
  {
    name: 'stories260k (real TinyStories LLaMA)',
    model: () => stories260k,
    referenceModel: () => join(stories260k, 'model.onnx'),
    prompts: storiesPrompts,
    skip: () => sharedModelsMissing() ?? torchMissing(),
  },
  {
    name: 'bundled demo model (models/sinklet)',
    model: () => sinklet,
    referenceModel: () => join(sinklet, 'model.onnx'),
    prompts: sinkletPrompts,
    skip: () => torchMissing(),
  },
  ...FIXTURES.map((name) => ({
    name: `fixture ${name}`,
    model: () => fixture(name),
    referenceModel: () => fixture(name),
    prompts: [[0, 72, 101, 108, 108, 111], Array.from({ length: 40 }, (_, i) => (i * 53) % 256)],
    skip: () => torchMissing(),
  })),
];

for (const testCase of cases) {
  describe(`matches the PyTorch reference: ${testCase.name}`, { skip: testCase.skip() ?? false }, () => {
    let analyzer: Analyzer;
    before(async () => {
      analyzer = await Analyzer.open(testCase.model(), { device: 'cpu' });
    });
    after(() => analyzer?.dispose());

    for (const ids of testCase.prompts) {
      it(`${ids.length} tokens`, async () => {
        const input: PromptInput = { kind: 'ids', ids, source: 'test' };
        const mapLayer = Math.min(1, analyzer.model.layers - 1);
        const reference = runReference(testCase.referenceModel(), ids, ['--full-attention', String(mapLayer)]);
        const report = await analyzer.analyze(input, { addBos: false });

        // The reference must be the same model: compare its logits with the unmodified ONNX graph's.
        const plain = await ort.InferenceSession.create(analyzer.files.onnx);
        const { logits } = await plain.run({ [plain.inputNames[0]]: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
        await plain.release();
        assertClose(logits.data as Float32Array, reference.logits, 'logits of the unmodified model', 1e-4, 1e-4);

        assertClose(report.residual.depths, reference.depths, 'depths', 0, 0);
        assertClose(report.residual.norms, reference.norms, 'residual norms');
        assertClose(report.attention.firstTokenAttention, reference.firstTokenAttention, 'first-token attention');
        assertClose(report.attention.sinkScore, reference.sinkScore, 'sink scores');
        assertReceivedAndMedians(report, reference);
        report.mlp.layers.forEach((layer, l) => {
          if (reference.mlpNorms[l] === null) assert.equal(layer.norms, null, `layer ${l} is a mixture of experts: no single MLP activation`);
          else assertClose(layer.norms, reference.mlpNorms[l], `layer ${l} MLP activation norms`);
        });
        const hidden = await analyzer.leadingHiddenStates(input, 1, { addBos: false });
        assertClose(hidden, reference.p0Hidden, 'P0 hidden state at every depth', 1e-4, 1e-5);
        assertClose(report.residual.p0Separation, reference.p0Separation, 'P0 separation at every depth', 1e-4, 1e-5);
        const mlpAtP0 = (await analyzer.probe({ rows: [ids] })).rows[0].mlpHidden;
        mlpAtP0.forEach((vector, l) => {
          if (reference.mlpP0[l] === null) assert.equal(vector, null, `layer ${l} has no single MLP activation`);
          else assertClose(vector!, reference.mlpP0[l]!, `layer ${l} MLP activation at P0`, 1e-4, 1e-5);
        });
        const maps = await analyzer.attentionMaps(input, mapLayer, { addBos: false });
        assertClose(maps.data, reference.attention!, `layer ${mapLayer} attention map`);
      });

      it(`${ids.length} tokens in a batch of 2: each row its own received attention and layer medians`, async () => {
        // Another prompt of the same length: the first id kept (BOS), the rest reversed.
        const other = [ids[0], ...ids.slice(1).reverse()];
        const probes = await analyzer.probe({ rows: [ids, other] });
        [ids, other].forEach((row, r) => {
          const reference = runReference(testCase.referenceModel(), row, ['--no-logits']);
          assertClose(probes.rows[r].received, reference.received, `row ${r}: attention received per key`);
          assertClose(probes.rows[r].layerMedian, reference.layerMedian, `row ${r}: layer median |h| at every depth`);
          assertClose(probes.rows[r].norms, reference.norms, `row ${r}: residual norms`);
        });
      });

      it(`${ids.length} tokens with head 0:1 ablated`, async () => {
        const { layers, heads } = analyzer.model;
        const mask = Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => (l === 0 && h === 1 ? 0 : 1)));
        const probes = await analyzer.probe({ rows: [ids], headMask: [mask] });
        const reference = runReference(testCase.referenceModel(), ids, ['--ablate', '0:1', '--no-logits']);
        assertClose(probes.rows[0].norms, reference.norms, 'residual norms with L0H1 ablated');
      });
    }
  });
}
