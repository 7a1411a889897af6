#!/usr/bin/python3
"""Scan natural prompts (lines of Python sources, and English sentences) for a sink.

    /usr/bin/python3 tools/sinklet/textscan.py --model models/sinklet [--n 400]
Reports how often an ordinary line meets the demo thresholds, with the line length distribution.
"""
import argparse
import glob
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vocab  # noqa: E402
from measure import analyze, load_onnx, passes  # noqa: E402

ENGLISH = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Attention sinks appear when heads have nothing useful to look at.",
    "Once upon a time there was a little girl who lived in a village.",
    "Please read the instructions carefully before you start the exam.",
    "The weather was cold and grey, so we stayed inside and read books.",
    "Open the file, read every line, and print the ones that match.",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/sinklet")
    ap.add_argument("--onnx", default=None)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--min-len", type=int, default=30)
    ap.add_argument("--no-bos", action="store_true")
    ap.add_argument("--show", type=int, default=8)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = load_onnx(a.onnx or os.path.join(a.model, "model.onnx"))
    lines = []
    for f in sorted(glob.glob("/usr/share/doc/*/copyright"))[:300] + sorted(glob.glob("/usr/lib/python3.11/*.py")):
        try:
            lines += [l.strip() for l in open(f, encoding="utf-8") if a.min_len <= len(l.strip()) <= 80]
        except (UnicodeDecodeError, OSError):
            pass
    random.Random(0).shuffle(lines)
    lines = ENGLISH + lines[: a.n]
    rs = [(analyze(model, vocab.encode(l, bos=not a.no_bos)), l) for l in lines]
    ok = [x for x in rs if passes(x[0])]
    s1 = np.array([r["sinkRate1"] for r, _ in rs])
    print(f"{len(rs)} natural lines ({a.min_len}-80 chars): pass {len(ok)} ({100 * len(ok) / len(rs):.1f}%), "
          f"sinkRate1 mean {s1.mean():.3f}, >=0.5 on {100 * (s1 >= 0.5).mean():.1f}%, "
          f"p0max<=2 mean {np.mean([r['p0max2'] for r, _ in rs]):.2f}")
    eng = rs[: len(ENGLISH)]
    print("english sentences: sinkRate1", [round(r["sinkRate1"], 2) for r, _ in eng])
    for r, l in sorted(rs, key=lambda x: -x[0]["sinkRate1"])[: a.show]:
        print(f"  sinkRate1={r['sinkRate1']:.2f} T={r['T']} uniform={r['uniformBaseline']:.2f} "
              f"sink={[[round(v, 2) for v in row] for row in r['sinkScore']]} {l!r}")


if __name__ == "__main__":
    main()
