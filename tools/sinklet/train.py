#!/usr/bin/python3
"""Train Sinklet, a tiny LLaMA-style decoder that grows an attention sink, on 2 CPU cores.

    /usr/bin/python3 tools/sinklet/train.py --seed 0 --out models/sinklet

Writes OUT/model.onnx, config.json, tokenizer.json, tokenizer_config.json, samples.txt,
OUT/checkpoints/step-NNNNN/{model.onnx,config.json} + checkpoints/trace.json, and the
PyTorch state_dicts into --runs/NAME/ (gitignored). See tools/README.md for the recipe.
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

# one BLAS/OpenMP thread unless asked otherwise: fastest for this size, and deterministic
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import BBTask, load_corpus, text_ids  # noqa: E402
from export import export_onnx, write_config  # noqa: E402
from model import Config, Sinklet  # noqa: E402
import measure  # noqa: E402
import vocab  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CKPT_FRACTIONS = [0, 1 / 32, 1 / 16, 1 / 8, 3 / 16, 1 / 4, 1 / 2, 1]  # 8000 steps: 0 250 500 1000 1500 2000 4000 8000


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=8000)
    p.add_argument("--out", default=None, help="model folder to write (omit: only the runs folder)")
    p.add_argument("--runs", default=os.path.join(HERE, "runs"))
    p.add_argument("--name", default=None)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--min-lr-frac", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--wd", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=64, help="tokens per sequence, BOS included")
    p.add_argument("--text-frac", type=float, default=0.5, help="share of each batch that is Python source")
    p.add_argument("--no-bos", action="store_true", help="train without BOS: position 0 is any token")
    p.add_argument("--task-seed", type=int, default=1234, help="seed of the bigram table (keep fixed)")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--export-only", action="store_true",
                   help="skip training: export RUNS/NAME/step-*.pt (from an earlier run of the same command)")
    p.add_argument("--threads", type=int, default=1,
                   help="1 is fastest for this size and robust on a shared machine (2 threads: 2-20x slower under load)")
    return p.parse_args()


def batch(args, rng, task, corpus):
    n_text = int(round(args.batch * args.text_frac))
    n_task = args.batch - n_text
    bos = not args.no_bos
    L = args.seq - 1 if bos else args.seq
    parts = []
    if n_task:
        parts.append(task.ids(rng, n_task, L, bos=bos))
    if n_text:
        parts.append(text_ids(rng, corpus, n_text, L, bos=bos))
    return torch.from_numpy(np.concatenate(parts, 0))


def lr_at(args, step):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = (step - args.warmup) / max(1, args.steps - args.warmup)
    lo = args.lr * args.min_lr_frac
    return lo + 0.5 * (args.lr - lo) * (1 + math.cos(math.pi * min(1.0, t)))


def main():
    args = parse()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    name = args.name or f"seed{args.seed}"
    run_dir = os.path.join(args.runs, name)
    os.makedirs(run_dir, exist_ok=True)

    cfg = Config(vocab_size=vocab.VOCAB_SIZE, dim=args.dim, n_layers=args.layers, n_heads=args.heads,
                 hidden=args.hidden, bos_id=vocab.BOS)
    model = Sinklet(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    task = BBTask(seed=args.task_seed)
    corpus = load_corpus() if args.text_frac > 0 else None
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    ckpt_steps = sorted({int(round(f * args.steps)) for f in CKPT_FRACTIONS})
    probes = measure.probe_prompts(task, bos=not args.no_bos)
    recipe = {k: v for k, v in vars(args).items()
              if k not in ("out", "runs", "name", "eval_every", "export_only", "threads")}
    print(f"[sinklet] {name}: {n_params} params, checkpoints at {ckpt_steps}", flush=True)
    if args.export_only:
        write_model_folder(args, cfg, run_dir, ckpt_steps, recipe, task)
        return
    log = open(os.path.join(run_dir, "log.jsonl"), "w")
    t0 = time.time()
    for step in range(args.steps + 1):
        if step in ckpt_steps:
            torch.save(model.state_dict(), os.path.join(run_dir, f"step-{step:05d}.pt"))
        if step % args.eval_every == 0 or step == args.steps:
            m = measure.summary(model, probes)
            m.update(step=step, elapsed=round(time.time() - t0, 1))
            log.write(json.dumps(m) + "\n")
            log.flush()
            print(f"[sinklet] step {step:5d} t {m['elapsed']:6.0f}s  loss bb {m['loss_bb']:.3f} text "
                  f"{m['loss_text']:.3f}  sink1+ bb {m['sink1_bb']:.2f} text {m['sink1_text']:.2f}  "
                  f"p0ratio<=2 bb {m['p0_bb']:.2f} text {m['p0_text']:.2f}", flush=True)
        if step == args.steps:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(args, step)
        x = batch(args, rng, task, corpus)
        model.train()
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    train_s = time.time() - t0
    print(f"[sinklet] trained {args.steps} steps in {train_s:.0f}s", flush=True)
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump({"recipe": recipe, "params": n_params, "train_seconds": round(train_s, 1),
                   "checkpoints": ckpt_steps}, f, indent=2)
    if args.out:
        write_model_folder(args, cfg, run_dir, ckpt_steps, recipe, task)


def write_model_folder(args, cfg, run_dir, ckpt_steps, recipe, task):
    out = args.out
    ck = os.path.join(out, "checkpoints")
    if os.path.isdir(ck):
        shutil.rmtree(ck)
    os.makedirs(ck)
    model = Sinklet(cfg)
    entries = []
    for s in ckpt_steps:
        model.load_state_dict(torch.load(os.path.join(run_dir, f"step-{s:05d}.pt")))
        d = os.path.join(ck, f"step-{s:05d}")
        os.makedirs(d)
        meta = {"sinklet_step": str(s), "sinklet_seed": str(args.seed)}
        export_onnx(model, os.path.join(d, "model.onnx"), meta)
        write_config(cfg, os.path.join(d, "config.json"), dict(recipe, step=s))
        entries.append({"step": s, "path": f"step-{s:05d}/model.onnx"})
    with open(os.path.join(ck, "trace.json"), "w") as f:
        json.dump({"model": "sinklet", "tokenizer": "../tokenizer.json", "checkpoints": entries}, f, indent=2)
        f.write("\n")
    meta = {"sinklet_step": str(args.steps), "sinklet_seed": str(args.seed)}
    export_onnx(model, os.path.join(out, "model.onnx"), meta)
    write_config(cfg, os.path.join(out, "config.json"), dict(recipe, step=args.steps))
    vocab.write_tokenizer(out)
    with open(os.path.join(out, "samples.txt"), "w") as f:
        f.write("\n".join(measure.sample_lines(task)) + "\n")
    with open(os.path.join(out, "samples-text.txt"), "w") as f:
        f.write("\n".join(measure.TEXT_SAMPLES) + "\n")
    print(f"[sinklet] wrote {out}", flush=True)


if __name__ == "__main__":
    main()
