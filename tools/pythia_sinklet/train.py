#!/usr/bin/python3
"""Train a tiny GPT-NeoX (Pythia's shape: parallel attention + MLP, a quarter of each head rotated,
LayerNorm, GELU, biases, untied head) on Sinklet's bigram / back-copy task, and write its training
checkpoints as the revisions of a Hugging Face hub cache, as EleutherAI publishes Pythia's:

    /usr/bin/python3 tools/pythia_sinklet/train.py --out .cache/pythia-hub      # ~40 s of CPU, 1 thread

writes OUT/models--sink-lens--pythia-sinklet/{refs/step0, refs/step100, refs/step200, refs/step400, refs/main,
snapshots/<commit>/{config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
generation_config.json}, blobs/} (hub_layout.py) and OUT/pythia-sinklet.json: the recipe and, per
revision, what tools/pythia_sinklet/README.md records (sink rate over layers >= 1, the P0 norm
ratio at depths <= 2, the task loss), measured here with the PyTorch reference (tools/torch_ref/neox.py,
the same module that was trained). Deterministic: one seed, one thread.
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
for sub in ("sinklet", "torch_ref", "hf_ref"):
    sys.path.insert(0, os.path.join(HERE, "..", sub))
import hub_layout  # noqa: E402
import safetensors_file  # noqa: E402
import vocab  # noqa: E402
from data import BBTask, load_corpus, text_ids  # noqa: E402
from measure import probe_prompts, sample_lines  # noqa: E402
from neox import GptNeoX, NeoXConfig, hf_config_dict  # noqa: E402

REPO_ID = "sink-lens/pythia-sinklet"
EPS = 0.3


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="the hub cache folder (pass it as HF_HUB_CACHE)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--revisions", default="0,100,200,400", help="steps saved as revisions stepN (the last is also main)")
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64, help="MLP width: narrow, as Sinklet's recipe")
    p.add_argument("--rotary-pct", type=float, default=0.25)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--min-lr-frac", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--wd", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=64, help="tokens per sequence, BOS included")
    p.add_argument("--text-frac", type=float, default=0.5)
    p.add_argument("--task-seed", type=int, default=1234)
    return p.parse_args()


def lr_at(args, step):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = (step - args.warmup) / max(1, args.steps - args.warmup)
    lo = args.lr * args.min_lr_frac
    return lo + 0.5 * (args.lr - lo) * (1 + math.cos(math.pi * min(1.0, t)))


def batch(args, rng, task, corpus):
    n_text = int(round(args.batch * args.text_frac))
    parts = [task.ids(rng, args.batch - n_text, args.seq - 1)]
    if n_text:
        parts.append(text_ids(rng, corpus, n_text, args.seq - 1))
    return torch.from_numpy(np.concatenate(parts, 0))


def init_weights(model, cfg):
    """GPTNeoXPreTrainedModel._init_weights: N(0, initializer_range) weights, zero biases, LayerNorm 1 / 0."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layernorm" in name or "layer_norm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0.0, 0.02)


def measure(model, prompts):
    """Per prompt list: sink rate over layers >= 1 (eps 0.3), max P0 norm ratio at depths <= 2, loss."""
    model.eval()
    rates, ratios, losses = [], [], []
    with torch.no_grad():
        for ids in prompts:
            x = torch.tensor([ids])
            rec = model(x, record=True)
            sink = [a[0, :, :, 0].mean(-1) for a in rec["attn"]]
            rates.append(float(torch.cat(sink[1:]).gt(EPS).float().mean()))
            ratio = [float(h[0].norm(dim=-1)[0] / h[0].norm(dim=-1)[1:].median()) for h in rec["hidden"]]
            ratios.append(max(r for d, r in zip(rec["depths"], ratio) if d <= 2))
            losses.append(float(F.cross_entropy(rec["logits"][0, :-1], x[0, 1:])))
    model.train()
    return dict(sinkRate1=round(float(np.mean(rates)), 4), p0NormRatioMax2=round(float(np.mean(ratios)), 4),
                loss=round(float(np.mean(losses)), 4))


def write_revision(args, cfg, model, step, repo, staging):
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    config = dict(hf_config_dict(cfg), bos_token_id=vocab.BOS, eos_token_id=vocab.EOS, torch_dtype="float32")
    with open(os.path.join(staging, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(staging, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": vocab.BOS, "eos_token_id": vocab.EOS, "_from_model_config": True}, f, indent=2)
    safetensors_file.write(os.path.join(staging, "model.safetensors"), {name: t.detach().clone() for name, t in model.state_dict().items()})
    vocab.write_tokenizer(staging)
    return hub_layout.publish_snapshot(repo, staging, [f"step{step}"])


def main():
    args = parse()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cfg = NeoXConfig(num_hidden_layers=args.layers, num_attention_heads=args.heads, hidden_size=args.dim,
                     intermediate_size=args.hidden, vocab_size=vocab.VOCAB_SIZE, max_position_embeddings=512,
                     rotary_pct=args.rotary_pct, bos_token_id=vocab.BOS)
    model = GptNeoX(cfg)
    init_weights(model, cfg)
    task = BBTask(seed=args.task_seed)
    corpus = load_corpus() if args.text_frac > 0 else None
    samples = [vocab.encode(line) for line in sample_lines(task)]
    probes = probe_prompts(task)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    revisions = sorted(int(s) for s in args.revisions.split(","))
    hub = os.path.abspath(args.out)
    repo = hub_layout.repo_folder(hub, REPO_ID)
    shutil.rmtree(repo, ignore_errors=True)
    recipe = {k: v for k, v in vars(args).items() if k != "out"}
    measured, t0 = [], time.time()
    for step in range(args.steps + 1):
        if step in revisions:
            commit = write_revision(args, cfg, model, step, repo, os.path.join(hub, f".staging-step{step}"))
            entry = dict(revision=f"step{step}", step=step, commit=commit, samples=measure(model, samples),
                         bb=measure(model, probes["bb"]), text=measure(model, probes["text"]), elapsed=round(time.time() - t0, 1))
            measured.append(entry)
            print(f"[pythia-sinklet] step{step}: samples {entry['samples']}, text {entry['text']}", flush=True)
        if step == args.steps:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(args, step)
        x = batch(args, rng, task, corpus)
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write(measured[-1]["commit"])
    with open(os.path.join(hub, "pythia-sinklet.json"), "w") as f:
        json.dump(dict(repo=REPO_ID, recipe=recipe, train_seconds=round(time.time() - t0, 1), torch=torch.__version__,
                       samples=sample_lines(task), revisions=measured), f, indent=2)
    print(f"[pythia-sinklet] wrote {repo} in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
