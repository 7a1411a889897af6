"""GPT-2 as transformers' modeling_gpt2 computes it (eager attention), for safetensors checkpoints:
Conv1D weights [in, out] (y = addmm(b, x, W)), one fused c_attn split into q | k | v, scores
divided by a tensor sqrt(head_dim) (`scale_attn_weights`) and by layer + 1
(`scale_attn_by_inverse_layer_idx`), masked with the dtype's minimum, softmax; MLP activation from
`activation_function`. models.Gpt2 (the ONNX fixtures) multiplies by 1/sqrt(head_dim) with nn.Linear
instead: the same function, not the same arithmetic. Same forward contract as models.Decoder.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch_ref"))
from models import Decoder, Gpt2Config  # noqa: E402


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        shape = x.shape[:-1] + (self.weight.shape[1],)
        return torch.addmm(self.bias, x.view(-1, x.shape[-1]), self.weight).view(shape)


def activation(name):
    if name in ("gelu_new", "gelu_pytorch_tanh"):  # NewGELUActivation
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    return {"gelu": F.gelu, "relu": F.relu, "silu": F.silu, "swish": F.silu}[name]


class HfGpt2Attention(nn.Module):
    def __init__(self, cfg, layer, hf):
        super().__init__()
        self.d, self.h = cfg.hidden_size, cfg.num_attention_heads
        self.layer = layer
        self.scale = hf.get("scale_attn_weights", True)
        self.by_layer = hf.get("scale_attn_by_inverse_layer_idx", False)
        self.c_attn = Conv1D(self.d, 3 * self.d)
        self.c_proj = Conv1D(self.d, self.d)

    def forward(self, x, mask, head_mask=None):
        B, T, _ = x.shape
        hd = self.d // self.h
        q, k, v = self.c_attn(x).split(self.d, dim=2)
        q, k, v = (t.view(B, T, -1, hd).transpose(1, 2) for t in (q, k, v))
        w = torch.matmul(q, k.transpose(-1, -2))
        if self.scale:
            w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        if self.by_layer:
            w = w / float(self.layer + 1)
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        probs = F.softmax(w, dim=-1).type(v.dtype)
        out = probs @ v
        if head_mask is not None:
            out = out * head_mask.view(1, self.h, 1, 1)
        return self.c_proj(out.transpose(1, 2).reshape(B, T, self.d)), probs


class HfGpt2Mlp(nn.Module):
    def __init__(self, cfg, hf):
        super().__init__()
        self.c_fc = Conv1D(cfg.hidden_size, cfg.intermediate_size)
        self.c_proj = Conv1D(cfg.intermediate_size, cfg.hidden_size)
        self.act = activation(hf.get("activation_function", "gelu_new"))

    def forward(self, x):
        act = self.act(self.c_fc(x))
        return self.c_proj(act), act


class HfGpt2Block(nn.Module):
    def __init__(self, cfg, layer, hf):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_epsilon)
        self.attn = HfGpt2Attention(cfg, layer, hf)
        self.norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_epsilon)
        self.mlp = HfGpt2Mlp(cfg, hf)


class HfGpt2(Decoder):
    """Module names: wte, wpe, blocks.N.{norm1, attn.c_attn, attn.c_proj, norm2, mlp.c_fc, mlp.c_proj},
    final_norm; `hf_names` maps a checkpoint's names (with or without `transformer.`) onto them."""

    def __init__(self, hf):
        super().__init__()
        n_embd = hf.get("n_embd", hf.get("hidden_size"))
        self.cfg = Gpt2Config(
            num_hidden_layers=hf.get("n_layer", hf.get("num_hidden_layers")),
            num_attention_heads=hf.get("n_head", hf.get("num_attention_heads")),
            hidden_size=n_embd, intermediate_size=hf.get("n_inner") or 4 * n_embd,
            vocab_size=hf["vocab_size"], max_position_embeddings=hf.get("n_positions", hf.get("max_position_embeddings")),
            layer_norm_epsilon=hf.get("layer_norm_epsilon", 1e-5), bos_token_id=hf.get("bos_token_id", 0))
        c = self.cfg
        self.wte = nn.Embedding(c.vocab_size, c.hidden_size)
        self.wpe = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.blocks = nn.ModuleList(HfGpt2Block(c, l, hf) for l in range(c.num_hidden_layers))
        self.final_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_epsilon)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied (GPT-2's default)

    def embed(self, ids):
        return self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))

    def attn_extras(self, T):
        return ()


def hf_names(tensors):
    """A checkpoint's tensors under HfGpt2's module names (buffers such as attn.bias are dropped)."""
    rename = {"ln_1": "norm1", "ln_2": "norm2", "ln_f": "final_norm"}
    out = {}
    for name, tensor in tensors.items():
        parts = name.split(".")
        if parts[0] == "transformer":
            parts = parts[1:]
        if parts[0] == "lm_head" or parts[-1] in ("masked_bias",) or (parts[-2:-1] == ["attn"] and parts[-1] == "bias"):
            continue
        if parts[0] == "h":
            parts[0] = "blocks"
        out[".".join(rename.get(p, p) for p in parts)] = tensor
    return out
