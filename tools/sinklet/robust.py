#!/usr/bin/python3
"""How robust is the sink on task-format prompts? Random BB walks of 4-80 words, uniformly random
word strings, and one-word edits / truncations / extensions of each samples.txt line.

    /usr/bin/python3 tools/sinklet/robust.py --model models/sinklet
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vocab  # noqa: E402
from data import BBTask  # noqa: E402
from measure import analyze, load_onnx, passes  # noqa: E402


def report(name, model, prompts):
    rs = [analyze(model, vocab.encode(p)) for p in prompts]
    fails = [(p, r) for p, r in zip(prompts, rs) if not passes(r)]
    print(f"{name}: {len(prompts) - len(fails)}/{len(prompts)} pass; sinkRate1 min "
          f"{min(r['sinkRate1'] for r in rs):.2f} mean {np.mean([r['sinkRate1'] for r in rs]):.2f}; "
          f"p0max<=2 min {min(r['p0max2'] for r in rs):.2f}")
    for p, r in fails[:4]:
        print(f"   FAIL sinkRate1={r['sinkRate1']:.2f} p0={r['p0max2']:.2f} T={r['T']} {p[:70]!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/sinklet")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = load_onnx(os.path.join(a.model, "model.onnx"))
    rng = np.random.default_rng(5)
    task = BBTask()
    walks = [vocab.words(task.ids(rng, 1, int(n), bos=False)[0]) for n in rng.integers(4, 81, 200)]
    report("BB walks of 4-80 words", model, walks)
    rand = [" ".join(rng.choice(vocab.TASK_WORDS, int(n))) for n in rng.integers(4, 81, 200)]
    report("uniformly random words, 4-80", model, rand)
    lines = [l.strip() for l in open(os.path.join(a.model, "samples.txt")) if l.strip()]
    edits = []
    for l in lines:
        w = l.split()
        for i in range(len(w)):
            edits.append(" ".join(w[:i] + [vocab.TASK_WORDS[(vocab.TASK_WORDS.index(w[i]) + 7) % 64]] + w[i + 1:]))
        edits += [" ".join(w[:k]) for k in range(3, len(w))]
        edits += [" ".join(w + w[:k]) for k in range(1, len(w) + 1, 3)]
    report("samples.txt edits (each word changed, every prefix >= 3 words, extensions)", model, edits)
    spaced = [l.replace(" ", "  ") for l in lines] + [l + "\n" for l in lines] + [" " + l for l in lines]
    report("samples.txt with double spaces / trailing newline / leading space", model, spaced)


if __name__ == "__main__":
    main()
