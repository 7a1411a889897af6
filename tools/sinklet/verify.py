#!/usr/bin/python3
"""Cross-check a Sinklet folder outside PyTorch: tokenizer.json (npm `tokenizers`) must give the
ids that training used, and ONNX Runtime (onnxruntime-node) must give the PyTorch logits.

    /usr/bin/python3 tools/sinklet/verify.py --model models/sinklet
Needs node and the repository's node_modules (tokenizers, onnxruntime-node).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vocab  # noqa: E402
from measure import analyze, load_onnx, passes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def variations(line):
    """Small edits of a demo prompt: a word changed, shortened, lengthened."""
    w = line.split(" ")
    out = []
    if all(x in vocab.WORD_ID for x in w):
        out.append(" ".join(w[:-1] + ["tav" if w[-1] != "tav" else "bex"]))
        out.append(" ".join(w[: max(4, len(w) // 2)]))
        out.append(" ".join(w + w[: len(w) // 2]))
        out.append(" ".join(w[1:]))
    else:
        out.append(line.replace("name", "user"))
        out.append(line[: max(12, len(line) // 2)])
        out.append(line + " " + line)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/sinklet")
    ap.add_argument("--node-modules", default=os.path.join(HERE, "..", "..", "node_modules"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    lines = [l.rstrip("\n") for l in open(os.path.join(a.model, "samples.txt")) if l.strip()]
    prompts = lines + [v for l in lines for v in variations(l)]
    model = load_onnx(os.path.join(a.model, "model.onnx"))
    cases = []
    for p in prompts:
        ids = vocab.encode(p, bos=True)
        with torch.no_grad():
            logits = model(torch.tensor([ids]))[0]
        cases.append({"text": p, "ids": ids, "logits_last": logits[-1].tolist(),
                      "logits_first": logits[0].tolist()})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"model": os.path.abspath(a.model), "cases": cases}, f)
    r = subprocess.run(["node", os.path.join(HERE, "check_node.js"), f.name, os.path.abspath(a.node_modules)])
    os.unlink(f.name)
    ok = r.returncode == 0
    # the torch measurement, and the project's engine when it is built (dist/cli.js)
    cli = os.path.join(HERE, "..", "..", "dist", "cli.js")
    n_pass = 0
    worst = 0.0
    for i, p in enumerate(prompts):
        t = analyze(model, vocab.encode(p, bos=True))
        n_pass += passes(t)
        line = (f"{'sample' if i < len(lines) else 'variant'} sinkRate1={t['sinkRate1']:.2f} "
                f"p0max<=2={t['p0max2']:.2f} {'PASS' if passes(t) else 'FAIL'}")
        if os.path.exists(cli):
            out = os.path.join(tempfile.gettempdir(), "sinklet-verify.json")
            subprocess.run(["node", cli, "analyze", "--model", os.path.abspath(a.model), "--prompt", p,
                            "--out", out], check=True, stdout=subprocess.DEVNULL)
            e = json.load(open(out))
            ds = max(abs(x - y) for r1, r2 in zip(e["attention"]["sinkScore"], t["sinkScore"])
                     for x, y in zip(r1, r2))
            dp = max(abs(x - y) / y for x, y in zip(e["residual"]["p0NormRatio"], t["p0NormRatio"]))
            worst = max(worst, ds, dp)
            line += f"  engine vs torch: sinkScore max|diff| {ds:.1e}, p0NormRatio max rel diff {dp:.1e}"
        print(line, " ", repr(p[:60]))
    print(f"{n_pass}/{len(prompts)} prompts meet the thresholds (sinkRate1 >= 0.5, p0NormRatio >= 2 at d <= 2)"
          + (f"; engine agrees to {worst:.1e}" if os.path.exists(cli) else "; dist/cli.js absent: engine not checked"))
    ok = ok and n_pass == len(prompts) and worst < 1e-3
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
