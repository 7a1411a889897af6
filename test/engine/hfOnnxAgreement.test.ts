/**
 * The same weights as a Hugging Face checkpoint and as an ONNX export give the same numbers:
 *  - the ONNX fixtures of tools/torch_ref (torch.onnx.export of this project's models) against
 *    checkpoints of exactly their weights, renamed (GPT-2: transposed to Conv1D) as transformers
 *    saves them;
 *  - the real stories260k (llama2.c's interleaved RoPE in its ONNX graph) against its conversion
 *    the way transformers converts Meta's LLaMA checkpoints (q/k rows permuted for rotate_half):
 *    the HF q/k convention, proved on a trained model. The conversion without the permutation must
 *    not agree, or this comparison could not tell.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AnalyzeOptions, PromptInput } from '../../src/engine/api';
import { Analyzer } from '../../src/engine/analyzer';
import { assertClose } from '../support/compare';
import { fixture, FixtureName } from '../support/fixtures';
import { HF_CHECKPOINTS, HfCheckpointName, hfCheckpoint, storiesCheckpoint, storiesCheckpointMissing } from '../support/hfFixtures';
import { stories260k } from '../support/paths';
import { assertMatchesReference } from '../support/referenceChecks';
import { torchMissing } from '../support/torchReference';

const IDS = Array.from({ length: 40 }, (_, i) => (i * 53) % 256);
const STORY = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.';

/** Every number the report and the probes give, for one prompt, from two analyzers. */
async function assertSameNumbers(checkpoint: Analyzer, onnx: Analyzer, input: PromptInput, options: AnalyzeOptions, rtol = 1e-4): Promise<void> {
  const [a, b] = [await checkpoint.analyze(input, options), await onnx.analyze(input, options)];
  assert.deepEqual(
    a.tokens.map((token) => token.id),
    b.tokens.map((token) => token.id),
  );
  assertClose(a.residual.norms, b.residual.norms, 'residual norms', rtol);
  assertClose(a.attention.firstTokenAttention, b.attention.firstTokenAttention, 'first-token attention', rtol);
  assertClose(a.attention.sinkScore, b.attention.sinkScore, 'sink scores', rtol);
  a.mlp.layers.forEach((layer, l) => {
    const other = b.mlp.layers[l].norms;
    if (other === null) assert.equal(layer.norms, null, `layer ${l} is a mixture of experts in both`);
    else assertClose(layer.norms, other, `layer ${l} MLP norms`, rtol);
  });
  assertClose(await checkpoint.leadingHiddenStates(input, 1, options), await onnx.leadingHiddenStates(input, 1, options), 'P0 hidden state', rtol, 1e-5);
  assertClose((await checkpoint.attentionMaps(input, 1, options)).data, (await onnx.attentionMaps(input, 1, options)).data, 'layer 1 attention map', rtol);
}

const pairs = (Object.keys(HF_CHECKPOINTS) as HfCheckpointName[]).flatMap((name) => {
  const onnx = HF_CHECKPOINTS[name].onnx;
  return onnx ? [{ name, onnx: onnx as FixtureName }] : [];
});

for (const { name, onnx } of pairs) {
  describe(`${name} gives the numbers of the ONNX export ${onnx} (same weights)`, { skip: torchMissing() ?? false }, () => {
    let fromCheckpoint: Analyzer;
    let fromOnnx: Analyzer;
    before(async () => {
      fromCheckpoint = await Analyzer.open(hfCheckpoint(name), { device: 'cpu' });
      fromOnnx = await Analyzer.open(fixture(onnx), { device: 'cpu' });
    });
    after(async () => {
      await fromCheckpoint?.dispose();
      await fromOnnx?.dispose();
    });

    it('40 tokens', async () => {
      await assertSameNumbers(fromCheckpoint, fromOnnx, { kind: 'ids', ids: IDS, source: 'test' }, { addBos: false });
      const logits = async (analyzer: Analyzer) => (await analyzer.probe({ rows: [IDS], extraOutputs: ['logits'] })).extra.logits;
      assertClose(await logits(fromCheckpoint), await logits(fromOnnx), 'logits', 1e-4, 1e-4);
    });
  });
}

describe('stories260k converted as transformers converts LLaMA (q/k rows permuted for rotate_half)', { skip: storiesCheckpointMissing() ?? false }, () => {
  let converted: Analyzer;
  let exported: Analyzer;
  before(async () => {
    converted = await Analyzer.open(storiesCheckpoint(), { device: 'cpu' });
    exported = await Analyzer.open(stories260k, { device: 'cpu' });
  });
  after(async () => {
    await converted?.dispose();
    await exported?.dispose();
  });

  it("gives the ONNX export's numbers, on text through its own tokenizer with BOS", async () => {
    assert.equal(converted.model.bosTokenId, 1);
    assert.equal(converted.addsBosByDefault, true);
    await assertSameNumbers(converted, exported, { kind: 'text', text: STORY, source: 'test' }, { addBos: true });
  });

  it('matches the transformers-following reference on the checkpoint', async () => {
    await assertMatchesReference(converted, storiesCheckpoint(), [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315], 1);
  });

  it('does not agree when the rows are not permuted (the comparison can tell)', async () => {
    const wrong = await Analyzer.open(storiesCheckpoint(true), { device: 'cpu' });
    try {
      await assert.rejects(assertSameNumbers(wrong, exported, { kind: 'text', text: STORY, source: 'test' }, { addBos: true }, 1e-2), /first-token attention|residual norms/);
    } finally {
      await wrong.dispose();
    }
  });
});
