// Called by verify.py: checks tokenizer ids/offsets and ONNX Runtime logits against PyTorch.
const fs = require('fs');
const path = require('path');
const [, , expectedPath, nodeModules] = process.argv;
const { Tokenizer } = require(path.join(nodeModules, 'tokenizers'));
const ort = require(path.join(nodeModules, 'onnxruntime-node'));

(async () => {
  const exp = JSON.parse(fs.readFileSync(expectedPath, 'utf8'));
  const tok = Tokenizer.fromFile(path.join(exp.model, 'tokenizer.json'));
  const sess = await ort.InferenceSession.create(path.join(exp.model, 'model.onnx'));
  let bad = 0;
  let maxDiff = 0;
  for (const c of exp.cases) {
    const e = await tok.encode(c.text, null, { addSpecialTokens: false });
    const ids = [1, ...e.getIds()];
    const withBos = Array.from((await tok.encode(c.text)).getIds());
    const same = ids.length === c.ids.length && ids.every((v, i) => v === c.ids[i]);
    const sameBos = withBos.length === c.ids.length && withBos.every((v, i) => v === c.ids[i]);
    // offsets must cover the text: each task word's span ends on the word
    const offs = e.getOffsets();
    const toks = e.getTokens();
    const cps = Array.from(c.text);
    const spanOk = toks.every((t, i) => !/^[a-z]{3}$/.test(t) || cps.slice(offs[i][0], offs[i][1]).join('').trim() === t);
    if (!same || !sameBos || !spanOk) {
      bad++;
      console.log('TOKENIZER MISMATCH', JSON.stringify(c.text), same, sameBos, spanOk);
    }
    const T = c.ids.length;
    const input = new ort.Tensor('int64', BigInt64Array.from(c.ids.map(BigInt)), [1, T]);
    const out = await sess.run({ input_ids: input });
    const lg = out.logits.data;
    const V = out.logits.dims[2];
    for (let j = 0; j < V; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(lg[(T - 1) * V + j] - c.logits_last[j]), Math.abs(lg[j] - c.logits_first[j]));
    }
  }
  console.log(`${exp.cases.length} prompts: tokenizer mismatches ${bad}, max |ORT - torch| logit diff ${maxDiff.toExponential(2)}`);
  process.exit(bad === 0 && maxDiff < 1e-3 ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
