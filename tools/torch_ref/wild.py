"""Exporter shapes from the wild (issue 12): fixtures that are gpt2-random's or llama-gqa-random's
model, written the way other code writes it and exported with `torch.onnx.export` (TorchScript).

  gpt2-conv1d           transformers' GPT-2: every projection a `Conv1D` (`torch.addmm(bias,
                        x.view(-1, nx), weight)` on a [B*T, D] view, so Reshape -> Gemm -> Reshape
                        in the graph), the causal mask `torch.where(bias[..], w, finfo.min)`, scores
                        divided by a `torch.full([], sqrt(hd))`; inputs input_ids, position_ids
                        int64 [batch, seq] and attention_mask int64 [batch, seq] (ones:
                        `(1 - mask) * finfo.min` added to the scores).
  gpt2-sliced-last      the same, with the last block sliced to the last token as onnxruntime's
                        greedy-search `init_decoder` does (convert_generation.py): a Slice (starts
                        -1, ends -2, axes 1, steps -1, int32) of the last attention output before
                        its projection and one of the residual stream before the residual Add, so
                        depths L - 0.5 and L exist only at the last position; logits [batch, 1, V].
                        attention_mask float32 [batch, seq], position_ids int32 [1, seq].
  gpt2-mask-additive    no causal mask inside: attention_mask float32 [batch, 1, seq, seq] added to
                        the scores (0 visible, finfo.min hidden), no position_ids input.
  gpt2-mask-bool        attention_mask bool [batch, 1, seq, seq], true = hidden
                        (`masked_fill(mask, finfo.min)`, as Megatron-LM does), no position_ids.
  gpt2-mask-keep        attention_mask float32 [batch, 1, max_seq, max_seq], 1 = visible, sliced to
                        [k - q : k, :k] and applied as `w * m - 10000 * (1 - m)` (the arithmetic of
                        onnxruntime's Megatron GPT-2 test model), position_ids int64 [batch, seq].
  gpt2-fixed-length     exported without dynamic axes: input_ids int64 [1, 16] and attention_mask
                        bool [1, 16].
  llama-mask-only       llama-gqa-random with attention_mask float16 [batch, seq] (cast to float32,
                        `(1 - mask) * finfo.min` added; positions from 0), no position_ids.
  llama-positions-only  llama-gqa-random with position_ids int64 [batch, seq] (RoPE tables gathered
                        by them), no attention_mask.

Each folder is laid out like its base fixture's (config.json, weights.pt = the base model's
state_dict, fixture.json), so reference.py computes the base model: for a fresh prompt (all ones,
causal, positions 0..T-1) every variant computes exactly that. fixture.json says how a fresh
prompt is fed (`feeds`), so tests can run the unmodified graph without the engine's feeding.
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from models import apply_rope, build, hf_config_dict, random_init, repeat_kv

FIXED_LENGTH = 16
OPSET = 14

# name -> (base fixture, options). `mask`: how attention_mask reaches the scores; `positions`:
# the position_ids input (dtype, whether its batch axis is fixed at 1) or None.
WILD = {
    "gpt2-conv1d": ("gpt2-random", dict(mask="padding", mask_dtype=torch.int64, positions=(torch.int64, False))),
    "gpt2-sliced-last": ("gpt2-random", dict(mask="padding", mask_dtype=torch.float32, positions=(torch.int32, True),
                                             slice_last=True)),
    "gpt2-mask-additive": ("gpt2-random", dict(mask="additive", mask_dtype=torch.float32, positions=None)),
    "gpt2-mask-bool": ("gpt2-random", dict(mask="bool-hidden", mask_dtype=torch.bool, positions=None)),
    "gpt2-mask-keep": ("gpt2-random", dict(mask="keep", mask_dtype=torch.float32, positions=(torch.int64, False))),
    "gpt2-fixed-length": ("gpt2-random", dict(mask="padding", mask_dtype=torch.bool, positions=None, fixed=True)),
    "llama-mask-only": ("llama-gqa-random", dict(mask="padding", mask_dtype=torch.float16, positions=None)),
    "llama-positions-only": ("llama-gqa-random", dict(mask=None, positions=(torch.int64, False))),
}

# How a fresh, unpadded prompt of T tokens is fed to each kind of input (fixture.json `feeds`).
FEED = {"padding": "ones [batch, seq]", "additive": "causal [batch, 1, seq, seq]: 0 visible, float32 lowest hidden",
        "bool-hidden": "causal [batch, 1, seq, seq]: false visible, true hidden",
        "keep": "causal [batch, 1, seq, seq]: 1 visible, 0 hidden"}


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: a Linear with weight [nx, nf], applied to a 2-D view."""

    def __init__(self, linear):
        super().__init__()
        self.nf = linear.out_features
        self.weight = nn.Parameter(linear.weight.detach().t().contiguous())
        self.bias = nn.Parameter(linear.bias.detach().clone())

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class LastToken(torch.autograd.Function):
    """x[:, -1:] exported as onnxruntime's init_decoder writes it: Slice with int32 starts -1,
    ends -2, axes 1, steps -1."""

    @staticmethod
    def forward(ctx, x):
        return x[:, -1:]

    @staticmethod
    def symbolic(g, x):
        const = lambda v: g.op("Constant", value_t=torch.tensor([v], dtype=torch.int32))
        return g.op("Slice", x, const(-1), const(-2), const(1), const(-1))


class TransformersGpt2(nn.Module):
    """models.Gpt2's weights in transformers' GPT2LMHeadModel code path (eager attention)."""

    def __init__(self, base, mask, slice_last=False):
        super().__init__()
        cfg = base.cfg
        self.cfg, self.mask, self.slice_last = cfg, mask, slice_last
        self.heads, self.head_dim = cfg.num_attention_heads, cfg.hidden_size // cfg.num_attention_heads
        self.wte, self.wpe = base.wte, base.wpe
        self.blocks = nn.ModuleList()
        for b in base.blocks:
            block = nn.Module()
            block.ln_1, block.ln_2 = b.norm1, b.norm2
            block.c_attn, block.attn_proj = Conv1D(b.attn.c_attn), Conv1D(b.attn.c_proj)
            block.c_fc, block.mlp_proj = Conv1D(b.mlp.c_fc), Conv1D(b.mlp.c_proj)
            self.blocks.append(block)
        self.ln_f = base.final_norm
        n = cfg.max_position_embeddings
        self.register_buffer("bias", torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n), persistent=False)

    def split_heads(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.head_dim)).permute(0, 2, 1, 3)

    def attend(self, q, k, v, mask):
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        q_len, k_len = q.size(-2), k.size(-2)
        if self.mask in (None, "padding"):  # the causal mask is the model's own
            causal = self.bias[:, :, k_len - q_len:k_len, :k_len]
            w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        if self.mask in ("padding", "additive"):
            w = w + mask
        elif self.mask == "bool-hidden":
            w = w.masked_fill(mask, torch.finfo(w.dtype).min)
        elif self.mask == "keep":
            m = mask[:, :, k_len - q_len:k_len, :k_len]
            w = w * m - 10000.0 * (1.0 - m)
        w = F.softmax(w, dim=-1)
        out = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        return out.view(out.size()[:-2] + (self.heads * self.head_dim,))

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        B, T = input_ids.size()
        if position_ids is None:
            position_ids = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        h = self.wte(input_ids) + self.wpe(position_ids.long())
        mask = attention_mask
        if self.mask == "padding":
            mask = attention_mask.view(B, -1)[:, None, None, :].to(h.dtype)
            mask = (1.0 - mask) * torch.finfo(h.dtype).min
        last = len(self.blocks) - 1
        for l, block in enumerate(self.blocks):
            q, k, v = block.c_attn(block.ln_1(h)).split(self.cfg.hidden_size, dim=2)
            merged = self.attend(self.split_heads(q), self.split_heads(k), self.split_heads(v), mask)
            if self.slice_last and l == last:
                merged, h = LastToken.apply(merged), LastToken.apply(h)
            h = h + block.attn_proj(merged)
            h = h + block.mlp_proj(F.gelu(block.c_fc(block.ln_2(h)), approximate="tanh"))
        return F.linear(self.ln_f(h), self.wte.weight)


class Gpt2Inputs(nn.Module):
    """The exported signature: input_ids, then attention_mask and/or position_ids as the fixture has them."""

    def __init__(self, model, has_mask, has_positions):
        super().__init__()
        self.model, self.has_mask, self.has_positions = model, has_mask, has_positions

    def forward(self, input_ids, *extra):
        extra = list(extra)
        mask = extra.pop(0) if self.has_mask else None
        positions = extra.pop(0) if self.has_positions else None
        return self.model(input_ids, mask, positions)


class LlamaInputs(nn.Module):
    """models.Llama with an attention_mask [B, T] (any dtype, ones) and/or position_ids [B, T] input."""

    def __init__(self, base, has_mask, has_positions):
        super().__init__()
        self.base, self.has_mask, self.has_positions = base, has_mask, has_positions

    def forward(self, input_ids, *extra):
        m = self.base
        extra = list(extra)
        mask = extra.pop(0) if self.has_mask else None
        positions = extra.pop(0) if self.has_positions else torch.arange(input_ids.size(1)).unsqueeze(0)
        x = m.embed_tokens(input_ids)
        T = input_ids.size(1)
        bias = torch.full((T, T), float("-inf")).triu(1)
        if mask is not None:
            bias = bias + (1.0 - mask.to(torch.float32))[:, None, None, :] * torch.finfo(torch.float32).min
        cos, sin = m.rope_cos[positions].unsqueeze(1), m.rope_sin[positions].unsqueeze(1)
        for block in m.blocks:
            attn = block.attn
            q, k, v = self.qkv(attn, block.norm1(x), cos, sin)
            rep = attn.h // attn.kvh
            k, v = repeat_kv(k, rep), repeat_kv(v, rep)
            w = torch.softmax(q @ k.transpose(-2, -1) * (1.0 / math.sqrt(attn.hd)) + bias, dim=-1)
            out = (w @ v).transpose(1, 2).reshape(x.size(0), T, attn.h * attn.hd)
            x = x + attn.o_proj(out)
            x = x + block.mlp(block.norm2(x))[0]
        return m.lm_head(m.final_norm(x))

    @staticmethod
    def qkv(attn, x, cos, sin):
        B, T, _ = x.shape
        q = attn.q_proj(x).view(B, T, attn.h, attn.hd).transpose(1, 2)
        k = attn.k_proj(x).view(B, T, attn.kvh, attn.hd).transpose(1, 2)
        v = attn.v_proj(x).view(B, T, attn.kvh, attn.hd).transpose(1, 2)
        return apply_rope(q, cos, sin, False, attn.hd // 2), apply_rope(k, cos, sin, False, attn.hd // 2), v


def sample_inputs(opts, T, vocab):
    """Inputs for tracing, in signature order, with their names and dynamic axes."""
    ids = torch.arange(T).unsqueeze(0) % vocab
    names, values = ["input_ids"], [ids]
    axes = {"input_ids": {0: "batch", 1: "seq"}}
    kind = opts.get("mask")
    if kind == "padding":
        names.append("attention_mask")
        values.append(torch.ones(1, T, dtype=opts["mask_dtype"]))
        axes["attention_mask"] = {0: "batch", 1: "seq"}
    elif kind is not None:
        visible = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None]
        mask = {"additive": lambda: torch.zeros(1, 1, T, T).masked_fill(~visible, torch.finfo(torch.float32).min),
                "bool-hidden": lambda: ~visible, "keep": lambda: visible.float()}[kind]()
        names.append("attention_mask")
        values.append(mask)
        span = "max_seq" if kind == "keep" else "seq"
        axes["attention_mask"] = {0: "batch", 2: span, 3: span}
    if opts.get("positions"):
        dtype, one_row = opts["positions"]
        names.append("position_ids")
        values.append(torch.arange(T, dtype=dtype).unsqueeze(0))
        axes["position_ids"] = {1: "seq"} if one_row else {0: "batch", 1: "seq"}
    return names, values, axes


def export(name, folder, fixtures):
    """Writes fixture `name` (a key of WILD) into `folder`; `fixtures`: export_fixtures.FIXTURES."""
    base_name, opts = WILD[name]
    cfg, _, seed, _ = fixtures[base_name]
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(seed)
    base = random_init(build(cfg), seed).eval()
    torch.save(base.state_dict(), os.path.join(folder, "weights.pt"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf_config_dict(cfg), f, indent=2)
    has_mask, has_positions = opts.get("mask") is not None, opts.get("positions") is not None
    if cfg.model_type == "gpt2":
        module = Gpt2Inputs(TransformersGpt2(base, opts.get("mask"), opts.get("slice_last", False)).eval(), has_mask, has_positions)
    else:
        module = LlamaInputs(base, has_mask, has_positions)
    T = FIXED_LENGTH if opts.get("fixed") else 8
    names, values, axes = sample_inputs(opts, T, cfg.vocab_size)
    axes["logits"] = {0: "batch", 1: "seq"}
    if opts.get("slice_last"):
        axes["logits"] = {0: "batch"}
    path = os.path.join(folder, "model.onnx")
    with torch.no_grad():
        expected = base(values[0])
        got = module(*values)
        torch.onnx.export(module, tuple(values), path, input_names=names, output_names=["logits"],
                          dynamic_axes=None if opts.get("fixed") else axes, opset_version=OPSET,
                          do_constant_folding=True)
    # The variant computes the base model for a fresh prompt (the last position only when sliced).
    assert torch.allclose(got, expected[:, -1:] if opts.get("slice_last") else expected, atol=1e-5), name
    feeds = {"attention_mask": FEED[opts["mask"]]} if has_mask else {}
    if has_positions:
        feeds["position_ids"] = f"0..seq-1 as {str(opts['positions'][0]).replace('torch.', '')} [{'1' if opts['positions'][1] else 'batch'}, seq]"
    meta = dict(name=name, kind="random", seed=seed, family=cfg.model_type, base=base_name,
                made_by="tools/torch_ref/wild.py", torch=torch.__version__, onnx_opset=OPSET,
                inputs=names, feeds=feeds, fixed_length=T if opts.get("fixed") else None,
                sliced_last_block=bool(opts.get("slice_last")),
                mask=opts.get("mask"))
    with open(os.path.join(folder, "fixture.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"{name}: {base_name} exported {opts}, model.onnx {os.path.getsize(path) / 1e6:.1f} MB")
