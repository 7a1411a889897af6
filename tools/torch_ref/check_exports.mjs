// Cross-check: onnxruntime-node logits of every exported fixture (and of stories260k) against
// the PyTorch reference (reference.py) on the same ids. Also checks dynamic batch/sequence axes,
// the intermediates (graph probes), the sliding-window layers and the byte-level tokenizer.json.
// For qwen3-moe the ORT graph runs every expert densely and reference.py dispatches sparsely, as
// transformers does, so the logits check also shows the two agree. Exit code 1 when anything is off.
//
//   node tools/torch_ref/check_exports.mjs [FIXTURES_DIR=.cache/fixtures] [--only NAME,...] [--stories PATH|none]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const require = createRequire(path.join(repo, 'package.json'));
const ort = require('onnxruntime-node');
const { Tokenizer } = require('tokenizers');

const args = process.argv.slice(2);
const storiesAt = args.indexOf('--stories');
const stories = storiesAt >= 0 ? args.splice(storiesAt, 2)[1]
  : path.resolve(repo, '../shared/models/stories260k');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1].split(',') : null;
const root = path.resolve(args[0] ?? path.join(repo, '.cache/fixtures'));
const TOL = 1e-4; // max |ORT - torch| relative to max |logit| (and absolute below 1)
let failures = 0;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sink-lens-check-'));

function lcgIds(n, vocab, bos, seed) {
  let s = seed >>> 0;
  const ids = [bos];
  while (ids.length < n) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; ids.push(1 + (s % (vocab - 1))); }
  return ids;
}

async function ortLogits(session, rows) {
  const T = rows[0].length;
  const data = BigInt64Array.from(rows.flat().map(BigInt));
  const out = await session.run({ input_ids: new ort.Tensor('int64', data, [rows.length, T]) });
  return out.logits; // [B, T, V]
}

function reference(model, ids, extra = []) {
  const stdout = execFileSync('/usr/bin/python3',
    [path.join(here, 'reference.py'), '--model', model, '--ids', ids.join(','), ...extra],
    { maxBuffer: 1 << 30, encoding: 'utf8' });
  return JSON.parse(stdout);
}

function compare(label, ortData, offset, refLogits) {
  let maxAbs = 0, maxRef = 0;
  const V = refLogits[0].length;
  refLogits.forEach((row, t) => row.forEach((v, j) => {
    maxAbs = Math.max(maxAbs, Math.abs(ortData[offset + t * V + j] - v));
    maxRef = Math.max(maxRef, Math.abs(v));
  }));
  const ok = maxAbs <= TOL * Math.max(1, maxRef);
  if (!ok) failures++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}: max |ORT - torch| = ${maxAbs.toExponential(2)} (max |logit| ${maxRef.toFixed(2)})`);
  return maxAbs;
}

async function checkModel(name, modelPath, onnxPath, cfg, idsList) {
  console.log(`${name}`);
  const session = await ort.InferenceSession.create(onnxPath);
  for (const ids of idsList) {
    const ref = reference(modelPath, ids);
    const single = await ortLogits(session, [ids]);
    compare(`T=${ids.length}`, single.data, 0, ref.logits);
    // Dynamic batch: a second, different row must not change row 0.
    const other = lcgIds(ids.length, cfg.vocab, cfg.bos, 7);
    const both = await ortLogits(session, [ids, other]);
    const n = single.data.length;
    let d = 0;
    for (let i = 0; i < n; i++) d = Math.max(d, Math.abs(both.data[i] - single.data[i]));
    if (d > 1e-5) failures++;
    console.log(`  ${d <= 1e-5 ? 'ok  ' : 'FAIL'} batch 2 row 0 vs batch 1: ${d.toExponential(2)}`);
  }
  const got = await checkProbes(modelPath, onnxPath, idsList.at(-1));
  if (existsSync(path.join(modelPath, 'config.json'))) checkSlidingWindow(modelPath, got, idsList.at(-1).length);
  return session;
}

// Intermediate tensors: expose them with probe_outputs.py (found by graph structure, as the
// engine does) and compare the quantities of ANALYSES.md with reference.py.
async function checkProbes(modelPath, onnxPath, ids) {
  const probed = path.join(tmp, `probed-${path.basename(path.dirname(onnxPath))}.onnx`);
  const names = JSON.parse(execFileSync('/usr/bin/python3',
    [path.join(here, 'probe_outputs.py'), onnxPath, probed], { encoding: 'utf8' }));
  const session = await ort.InferenceSession.create(probed);
  const T = ids.length;
  const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, T]) });
  const ref = reference(modelPath, ids, ['--no-logits']);
  const rowNorms = (t) => { const D = t.dims.at(-1); return Array.from({ length: T }, (_, i) => Math.hypot(...t.data.subarray(i * D, (i + 1) * D))); };
  const got = {
    norms: names.hidden.map((n) => rowNorms(out[n])),
    mlpNorms: names.mlp_act.map((n) => (n ? rowNorms(out[n]) : null)), // null: MoE layer
    firstTokenAttention: names.attn.map((n) => { const [, H] = out[n].dims; return Array.from({ length: H }, (_, h) => Array.from({ length: T }, (_, q) => out[n].data[(h * T + q) * T])); }),
    p0Hidden: names.hidden.map((n) => Array.from(out[n].data.subarray(0, out[n].dims.at(-1)))),
  };
  // Mixture-of-experts layers have no single MLP activation: both sides must say null there.
  const moe = ref.mlpNorms.flatMap((m, l) => (m === null ? [l] : []));
  if (JSON.stringify(got.mlpNorms.flatMap((m, l) => (m === null ? [l] : []))) !== JSON.stringify(moe)) {
    failures++;
    console.log(`  FAIL MoE layers: probes found none at ${got.mlpNorms.map((m, l) => (m === null ? l : null)).filter((l) => l !== null)}, reference at ${moe}`);
  } else if (moe.length) console.log(`  ok   MoE layers ${moe.join(', ')}: no MLP activation (reference and probes)`);
  const dense = (rows) => rows.filter((m) => m !== null);
  for (const key of Object.keys(got)) {
    let rel = 0, abs = 0;
    const a = (key === 'mlpNorms' ? dense(got[key]) : got[key]).flat(2);
    const b = (key === 'mlpNorms' ? dense(ref[key]) : ref[key]).flat(2);
    if (a.length !== b.length) { failures++; console.log(`  FAIL ${key}: ${a.length} values vs ${b.length}`); continue; }
    // Relative per value (floor 1e-3); hidden-vector components relative to the vector's largest
    // component, since float32 rounding is relative to the vector scale, not to each component.
    const scale = key === 'p0Hidden' ? ref[key].flatMap((v) => v.map(() => Math.max(...v.map(Math.abs)))) : null;
    a.forEach((v, i) => { const d = Math.abs(v - b[i]); abs = Math.max(abs, d); rel = Math.max(rel, d / Math.max(scale ? scale[i] : Math.abs(b[i]), 1e-3)); });
    const ok = rel <= 1e-4;
    if (!ok) failures++;
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${key} via graph probes: max rel ${rel.toExponential(2)}, max abs ${abs.toExponential(2)} (${a.length} values)`);
  }
  return got;
}

// Sliding-window layers (fixture.json's sliding_layers): queries q >= window must give key 0
// exactly zero attention in ORT's probabilities, and the full-attention layers must not.
function checkSlidingWindow(dir, got, T) {
  const metaFile = path.join(dir, 'fixture.json');
  const meta = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : {};
  const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  if (!meta.sliding_layers?.length) return;
  const w = c.sliding_window;
  got.firstTokenAttention.forEach((heads, l) => {
    const far = heads.flatMap((row) => row.slice(w));
    const zero = far.every((v) => v === 0);
    const sliding = meta.sliding_layers.includes(l);
    const ok = T > w && zero === sliding;
    if (!ok) failures++;
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} layer ${l} (${sliding ? `sliding, window ${w}` : 'full'}): A[q, 0] for q >= ${w} ${zero ? 'all 0' : `up to ${Math.max(...far).toFixed(3)}`}`);
  });
}

async function checkTokenizer(folder) {
  const file = path.join(folder, 'tokenizer.json');
  if (!existsSync(file)) return;
  const tok = Tokenizer.fromFile(file);
  const text = 'Once upon a time, héllo 😀\n';
  const enc = await tok.encode(text);
  const want = [0, ...Buffer.from(text, 'utf8')];
  const ok = JSON.stringify(enc.getIds()) === JSON.stringify(want)
    && (await tok.decode(enc.getIds(), true)) === text;
  if (!ok) failures++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} tokenizer.json: <bos> + UTF-8 bytes, decode round-trips`);
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function main() {
  const folders = existsSync(root) ? readdirSync(root).filter((f) => existsSync(path.join(root, f, 'model.onnx'))
    && (!only || only.includes(f))).sort() : [];
  if (!folders.length) console.log(`no fixtures under ${root} (run export_fixtures.py first)`);
  for (const f of folders) {
    const dir = path.join(root, f);
    const meta = existsSync(path.join(dir, 'fixture.json')) ? JSON.parse(readFileSync(path.join(dir, 'fixture.json'), 'utf8')) : {};
    if (String(meta.made_by).endsWith('variants.py')) {
      // KV-cache and bfloat16 inputs, or opset-23 Attention without a Softmax to probe: their own tests check them.
      console.log(`skip ${f}: a variant of ${meta.base} (test/engine/onnxAttention.test.ts, test/engine/bfloat16.test.ts)`);
      continue;
    }
    if (String(meta.made_by).endsWith('wild.py')) {
      // Masks, positions, fixed sizes or a sliced block: fed and checked by test/engine/wildExports.test.ts.
      console.log(`skip ${f}: an exporter shape of ${meta.base} (test/engine/wildExports.test.ts)`);
      continue;
    }
    const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const cfg = { vocab: c.vocab_size, bos: c.bos_token_id };
    const lengths = f.startsWith('llama-bench') ? [1, 64, 700] : [1, 24];
    await checkModel(f, dir, path.join(dir, 'model.onnx'), cfg,
      lengths.map((n, i) => lcgIds(n, cfg.vocab, cfg.bos, 11 + i)));
    await checkTokenizer(dir);
  }
  const storiesOnnx = path.join(stories, 'model.onnx');
  if (stories === 'none' || (only && !only.includes('stories260k'))) { /* not asked for */ }
  else if (!existsSync(storiesOnnx)) { console.log(`skip stories260k: ${storiesOnnx} not found`); }
  else {
    const tok = Tokenizer.fromFile(path.join(stories, 'tokenizer.json'));
    const once = (await tok.encode('Once upon a time')).getIds();
    if (JSON.stringify(once) !== '[1,403,407,261,378]') failures++;
    const story = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. One day, she saw a big red ball in the park.';
    const long = (await tok.encode(story)).getIds();
    await checkModel('stories260k (weights read from the ONNX graph)', storiesOnnx, storiesOnnx,
      { vocab: 512, bos: 1 }, [once, long]);
    for (const ids of [once, long]) {
      const r = reference(storiesOnnx, ids, ['--no-logits']);
      const n1 = r.norms[2]; // depth 1 = after block 0
      const flat = r.sinkScore.flat();
      const rate = flat.filter((s) => s > 0.3).length / flat.length;
      const uniform = ids.reduce((a, _, q) => a + 1 / (q + 1), 0) / ids.length;
      console.log(`  facts T=${ids.length}: BOS norm after block 0 = ${n1[0].toFixed(3)}, median of the rest ${median(n1.slice(1)).toFixed(3)}; sinkRate(eps 0.3) = ${rate.toFixed(3)} (uniform baseline ${uniform.toFixed(3)})`);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  console.log(failures ? `${failures} check(s) FAILED` : 'all checks passed');
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
