"""A tiny LLaMA-style decoder written so that its ONNX export stays plain.

Every block is pre-norm with two plain residual adds:
    x = x + attn(norm1(x))      -> depth l + 0.5
    x = x + mlp(norm2(x))       -> depth l + 1
Attention is computed explicitly (q k^T * scale + causal mask, one Softmax per layer), RoPE is
the HF "rotate_half" form, the MLP is SwiGLU, embeddings are tied to the LM head.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 323
    dim: int = 64
    n_layers: int = 3
    n_heads: int = 2
    hidden: int = 64
    max_seq: int = 512
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    bos_id: int = 1
    tie: bool = True

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.h = cfg.n_heads
        self.dh = cfg.dim // cfg.n_heads
        self.q = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.k = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.v = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.o = nn.Linear(cfg.dim, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask, head_mask=None):
        B, T, D = x.shape
        q = self.q(x).view(B, T, self.h, self.dh).transpose(1, 2)
        k = self.k(x).view(B, T, self.h, self.dh).transpose(1, 2)
        v = self.v(x).view(B, T, self.h, self.dh).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh)) + mask
        probs = torch.softmax(scores, dim=-1)
        if head_mask is not None:
            probs = probs * head_mask.view(1, -1, 1, 1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, D)
        return self.o(out), probs


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.gate = nn.Linear(cfg.dim, cfg.hidden, bias=False)
        self.up = nn.Linear(cfg.dim, cfg.hidden, bias=False)
        self.down = nn.Linear(cfg.hidden, cfg.dim, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.norm1 = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.norm2 = RMSNorm(cfg.dim, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask, head_mask=None):
        a, probs = self.attn(self.norm1(x), cos, sin, mask, head_mask)
        mid = x + a
        out = mid + self.mlp(self.norm2(mid))
        return mid, out, probs


class Sinklet(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        if cfg.tie:
            self.lm_head.weight = self.embed.weight
        dh = cfg.dim // cfg.n_heads
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, dh, 2).float() / dh))
        self.register_buffer("inv_freq", inv, persistent=False)
        self.apply(self._init)
        for b in self.blocks:  # GPT-2 style scaled init of the residual writers
            nn.init.normal_(b.attn.o.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))
            nn.init.normal_(b.mlp.down.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, input_ids, internals=False, head_mask=None):
        T = input_ids.shape[1]
        pos = torch.arange(T, dtype=torch.float32, device=input_ids.device)
        freqs = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        ones = torch.ones(T, T, device=input_ids.device)
        mask = torch.triu(ones, diagonal=1) * -1e9
        x = self.embed(input_ids)
        hs, attn = [x], []
        for i, b in enumerate(self.blocks):
            mid, x, p = b(x, cos, sin, mask, None if head_mask is None else head_mask[i])
            hs += [mid, x]
            attn.append(p)
        logits = self.lm_head(self.norm(x))
        if internals:
            return logits, hs, attn
        return logits
