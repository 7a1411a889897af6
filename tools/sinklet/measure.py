#!/usr/bin/python3
"""Measure the sink quantities of docs/ANALYSES (../shared/spec/ANALYSES.md) in PyTorch.

    /usr/bin/python3 tools/sinklet/measure.py --model models/sinklet            # samples.txt
    /usr/bin/python3 tools/sinklet/measure.py --model models/sinklet --prompt "bex tav lom"
    /usr/bin/python3 tools/sinklet/measure.py --model models/sinklet --trace    # every checkpoint

Weights are read back from the ONNX initializers (the export keeps parameter names), so this
checks exactly the committed files. Per prompt (BOS prepended as the tokenizer does):
  sinkScore[l][h] = mean_q A[l,h,q,0];  sinkRate1 = share of (l>=1,h) with sinkScore > eps (0.3);
  p0NormRatio[d] = |h[d][0]| / median_{t>=1} |h[d][t]| at depths 0, 0.5, 1, ..., L.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vocab  # noqa: E402
from model import Config, Sinklet  # noqa: E402

EPS = 0.3
THRESH_SINK = 0.5
THRESH_P0 = 2.0

TEXT_PROBES = [
    "def add(a, b):\n    return a + b\n",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "for i in range(10):\n    print(i * i)",
    "import os\npath = os.path.join(root, name)\n",
    "Attention sinks appear when heads have nothing useful to look at.",
    "class Stack:\n    def __init__(self):\n        self.items = []\n",
]
# Ordinary prompts written next to the demo prompts (samples-text.txt): reported as they are.
# The shipped recipe shows NO sink on them (see tools/README.md), so they are not in samples.txt.
TEXT_SAMPLES = [
    "def greet(name): return 'Hello, ' + name + '!'",
    "The quick brown fox jumps over the lazy dog near the river bank.",
]


def analyze(model, ids, head_mask=None):
    """ids: list of token ids (BOS included when wanted). Returns the per-prompt quantities."""
    model.eval()
    x = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        logits, hs, attn = model(x, internals=True, head_mask=head_mask)
    T = len(ids)
    sink = [[float(a[0, h, :, 0].mean()) for h in range(a.shape[1])] for a in attn]
    depths = [i / 2 for i in range(len(hs))]
    ratio = []
    for h in hs:
        n = h[0].norm(dim=-1)
        ratio.append(float(n[0] / n[1:].quantile(0.5)) if T >= 2 else float("nan"))  # mean of the two middle values when even
    pairs = [s > EPS for row in sink[1:] for s in row]
    loss = float(F.cross_entropy(logits[0, :-1], x[0, 1:])) if T >= 2 else float("nan")
    return {
        "T": T,
        "sinkScore": sink,
        "sinkRate1": sum(pairs) / max(1, len(pairs)),
        "sinkRate0": sum(s > EPS for row in sink for s in row) / sum(len(r) for r in sink),
        "uniformBaseline": float(sum(1 / (q + 1) for q in range(T)) / T),
        "depths": depths,
        "p0NormRatio": ratio,
        "p0max2": max(r for d, r in zip(depths, ratio) if d <= 2),
        "loss": loss,
    }


def passes(r):
    return r["sinkRate1"] >= THRESH_SINK and r["p0max2"] >= THRESH_P0


def probe_prompts(task, bos=True, n=8):
    rng = np.random.default_rng(777)
    bb = [list(map(int, r)) for r in task.ids(rng, n, 47, bos=bos)]
    text = [vocab.encode(t, bos=bos) for t in TEXT_PROBES]
    return {"bb": bb, "text": text}


def summary(model, probes):
    out = {}
    for k, prompts in probes.items():
        rs = [analyze(model, p) for p in prompts]
        out[f"loss_{k}"] = float(np.mean([r["loss"] for r in rs]))
        out[f"sink1_{k}"] = float(np.mean([r["sinkRate1"] for r in rs]))
        out[f"p0_{k}"] = float(np.mean([r["p0max2"] for r in rs]))
        out[f"pass_{k}"] = float(np.mean([passes(r) for r in rs]))
    return out


def sample_lines(task):
    """The demo prompts: BB-task walks (fixed seed) typed as words, 24/32/16/40 words long."""
    rng = np.random.default_rng(2024)
    return [vocab.words(task.ids(rng, 1, n, bos=False)[0]) for n in (24, 32, 16, 40)]


def load_onnx(path):
    """Rebuild the torch model from an exported model.onnx (+ config.json next to it)."""
    import onnx
    from onnx import numpy_helper
    folder = os.path.dirname(os.path.abspath(path))
    c = json.load(open(os.path.join(folder, "config.json")))
    cfg = Config(vocab_size=c["vocab_size"], dim=c["hidden_size"], n_layers=c["num_hidden_layers"],
                 n_heads=c["num_attention_heads"], hidden=c["intermediate_size"],
                 max_seq=c["max_position_embeddings"], rope_theta=c["rope_theta"],
                 norm_eps=c["rms_norm_eps"], bos_id=c["bos_token_id"], tie=c["tie_word_embeddings"])
    m = onnx.load(path)
    inits = {i.name: i for i in m.graph.initializer}
    state = {}
    alias = {n: n for n in inits}  # the exporter dedupes equal initializers behind Identity nodes
    for node in m.graph.node:
        if node.op_type == "Identity" and node.input[0] in alias:
            alias[node.output[0]] = alias[node.input[0]]
    for node in m.graph.node:  # name each weight by the scope of the node that uses it
        if node.op_type == "Identity":
            continue
        for inp in node.input:
            if inp in alias:
                scope = node.name.rsplit("/", 1)[0].strip("/").replace("/", ".")
                state[scope + ".weight"] = torch.from_numpy(numpy_helper.to_array(inits[alias[inp]]).copy())
    model = Sinklet(cfg)
    if cfg.tie:
        state.pop("lm_head.weight", None)
        state["lm_head.weight"] = state["embed.weight"]
    model.load_state_dict(state, strict=True)
    return model


def fmt(r):
    s = " ".join("[" + ",".join(f"{v:.2f}" for v in row) + "]" for row in r["sinkScore"])
    p = " ".join(f"{v:.2f}" for v in r["p0NormRatio"])
    return (f"T={r['T']:3d} sinkRate1={r['sinkRate1']:.2f} p0max<=2={r['p0max2']:.2f} "
            f"{'PASS' if passes(r) else 'FAIL'}  uniform={r['uniformBaseline']:.2f}  sink={s}  p0ratio={p}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/sinklet")
    ap.add_argument("--onnx", default=None, help="a model.onnx (default MODEL/model.onnx)")
    ap.add_argument("--prompt", action="append")
    ap.add_argument("--no-bos", action="store_true")
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    torch.set_num_threads(2)
    prompts = a.prompt or [l.rstrip("\n") for l in open(os.path.join(a.model, "samples.txt")) if l.strip()]
    paths = [a.onnx or os.path.join(a.model, "model.onnx")]
    if a.trace:
        tr = json.load(open(os.path.join(a.model, "checkpoints", "trace.json")))
        paths = [os.path.join(a.model, "checkpoints", c["path"]) for c in tr["checkpoints"]]
    result = []
    for path in paths:
        model = load_onnx(path)
        rs = [analyze(model, vocab.encode(p, bos=not a.no_bos)) for p in prompts]
        print(f"== {path}: sinkRate1 mean {np.mean([r['sinkRate1'] for r in rs]):.2f}, "
              f"p0max<=2 mean {np.mean([r['p0max2'] for r in rs]):.2f}, "
              f"pass {sum(map(passes, rs))}/{len(rs)}")
        if not a.trace:
            for p, r in zip(prompts, rs):
                print(f"  {fmt(r)}\n     {p[:70]!r}")
        result.append({"path": path, "prompts": prompts, "results": rs})
    if a.json:
        json.dump(result, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
