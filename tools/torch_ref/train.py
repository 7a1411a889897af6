"""Brief, deterministic byte-level training so that the "-trained" fixtures have structured weights.

Data: the Python standard library sources of the machine's /usr/bin/python3 (always present on
Debian, no network). Every training window starts with BOS (id 0) followed by raw bytes, so byte
b has id b; NUL bytes are dropped because id 0 is BOS.
"""
import glob
import hashlib
import math
import os
import sysconfig

import torch
import torch.nn.functional as F


def corpus(limit_bytes=3_000_000):
    """Concatenated stdlib .py files, sorted by name (deterministic for a given Debian python)."""
    root = sysconfig.get_paths()["stdlib"]
    buf = bytearray()
    for path in sorted(glob.glob(os.path.join(root, "*.py"))):
        with open(path, "rb") as f:
            buf += f.read().replace(b"\x00", b"")
        if len(buf) >= limit_bytes:
            break
    data = bytes(buf[:limit_bytes])
    info = dict(source=os.path.join(root, "*.py"), bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest())
    return torch.frombuffer(bytearray(data), dtype=torch.uint8), info


def small_init(model, seed):
    """GPT-2 style init (std 0.02, zero biases, unit norm gains): what a model is trained from."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
            elif name.endswith("weight"):
                p.fill_(1.0)
            else:
                p.zero_()
    return model


def train(model, data, steps, seed, bos_id=0, seq=128, batch=32, lr=3e-3, log=print):
    """AdamW, warmup then cosine decay; returns the final training loss (nats per byte)."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
    warmup = max(1, steps // 20)
    model.train()
    ema = None
    for step in range(steps):
        scale = (step + 1) / warmup if step < warmup else \
            0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        for group in opt.param_groups:
            group["lr"] = lr * scale
        starts = torch.randint(0, len(data) - seq, (batch,), generator=g)
        target = torch.stack([data[s:s + seq] for s in starts.tolist()]).long()
        bos = torch.full((batch, 1), bos_id, dtype=torch.long)
        inputs = torch.cat([bos, target[:, :-1]], dim=1)  # BOS predicts the first byte
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if log and (step % max(1, steps // 5) == 0 or step == steps - 1):
            log(f"    step {step:4d}/{steps}  loss {ema:.3f} nats/byte")
    model.eval()
    return ema
