"""Small, explicit PyTorch decoders: the independent reference for Sink Lens.

Two families, both pre-norm, written so that `torch.onnx.export` gives the plain graph shape the
engine has to recognise:
  * residual updates are `x = x + attn(norm(x))` and `x = x + mlp(norm(x))`: one plain Add each,
    residual stream on the left;
  * attention is spelled out (q @ k^T * scale + causal mask, torch.softmax(-1), @ v), so every
    layer has exactly one Softmax node;
  * the causal mask is built from the sequence length inside the graph (ConstantOfShape + Trilu).

`forward(ids, record=True)` also returns what ANALYSES.md talks about: the residual stream at depths
0, 0.5, 1, ..., L (final norm NOT applied), attention probabilities per layer and the MLP activation
(input of the down-projection) per layer. `head_mask` [L][H] zeroes a head's output before the
output projection (head ablation).
"""
import math
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class LlamaConfig:
    num_hidden_layers: int = 4
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    hidden_size: int = 64
    intermediate_size: int = 128
    vocab_size: int = 256
    max_position_embeddings: int = 512
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = False
    bos_token_id: int = 0
    # Not a Hugging Face key: HF rotates the pairs (i, i + d/2); llama2.c (stories260k) rotates
    # the interleaved pairs (2i, 2i + 1). Only the ONNX loader sets it.
    rope_interleaved: bool = False
    model_type: str = "llama"


@dataclass
class Gpt2Config:
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    hidden_size: int = 48
    intermediate_size: int = 192
    vocab_size: int = 256
    max_position_embeddings: int = 1024
    layer_norm_epsilon: float = 1e-5
    bos_token_id: int = 0
    model_type: str = "gpt2"


def config_from_dict(d):
    """Build a config from a Hugging Face style config.json (unknown keys are ignored)."""
    if d["model_type"] == "gpt_neox":
        import neox
        return neox.config_from_dict(d)
    if d["model_type"] not in ("llama", "gpt2"):
        import archs  # Mistral, Qwen2, Qwen3, Phi-3, Gemma 2 / 3, OLMo 2, Qwen3-MoE
        return archs.config_from_dict(d)
    cls = {"llama": LlamaConfig, "gpt2": Gpt2Config}[d["model_type"]]
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})


def hf_config_dict(cfg):
    """config.json contents: HF key names (plus GPT-2's native aliases, so HF tools read it too)."""
    if cfg.model_type == "gpt_neox":
        import neox
        return neox.hf_config_dict(cfg)
    if not isinstance(cfg, (LlamaConfig, Gpt2Config)):  # archs.ArchConfig, a llama one too (the hub fixture's)
        import archs
        return archs.hf_config_dict(cfg)
    common = dict(
        model_type=cfg.model_type,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        vocab_size=cfg.vocab_size,
        max_position_embeddings=cfg.max_position_embeddings,
        bos_token_id=cfg.bos_token_id,
        torch_dtype="float32",
    )
    if cfg.model_type == "llama":
        out = dict(architectures=["LlamaForCausalLM"], **common,
                   num_key_value_heads=cfg.num_key_value_heads, rms_norm_eps=cfg.rms_norm_eps,
                   rope_theta=cfg.rope_theta, hidden_act="silu",
                   tie_word_embeddings=cfg.tie_word_embeddings)
        if cfg.rope_interleaved:
            out["rope_interleaved"] = True
        return out
    return dict(architectures=["GPT2LMHeadModel"], **common,
                num_key_value_heads=cfg.num_attention_heads,
                layer_norm_epsilon=cfg.layer_norm_epsilon, activation_function="gelu_new",
                tie_word_embeddings=True,
                n_layer=cfg.num_hidden_layers, n_head=cfg.num_attention_heads,
                n_embd=cfg.hidden_size, n_inner=cfg.intermediate_size,
                n_positions=cfg.max_position_embeddings)


def causal_mask(T, dtype):
    # -inf above the diagonal, 0 elsewhere. Built from T so that the ONNX graph has no mask input
    # and no T x T initializer (exports as ConstantOfShape + Trilu).
    return torch.full((T, T), float("-inf"), dtype=dtype).triu(1)


def attend(q, k, v, mask, head_mask, head_dim, scale=None):
    """q, k, v: [B, H, T, hd] -> (output [B, T, H*hd], probabilities [B, H, T, T]).
    `scale`: 1 / sqrt(head_dim) unless given (reference.py --bfloat16-values rounds it)."""
    B, H, T, _ = q.shape
    # head_dim is a Python int (not q.shape[-1]) so the scale is one constant in the trace.
    scores = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(head_dim) if scale is None else scale) + mask
    probs = torch.softmax(scores, dim=-1)  # the one Softmax node of this layer
    out = probs @ v
    if head_mask is not None:  # ablation: the head contributes nothing to the output projection
        out = out * head_mask.view(1, H, 1, 1)
    return out.transpose(1, 2).reshape(B, T, H * head_dim), probs


class Decoder(nn.Module):
    """Shared pre-norm loop. Subclasses provide embed(), attn_extras(T), blocks, final_norm, lm_head."""

    def forward(self, input_ids, head_mask=None, record=False):
        T = input_ids.shape[1]
        x = self.embed(input_ids)  # h[0]
        mask = causal_mask(T, x.dtype)
        extras = self.attn_extras(T)
        hidden, attn, mlp_act = [x], [], []
        for l, block in enumerate(self.blocks):
            a, probs = block.attn(block.norm1(x), mask, *extras,
                                  head_mask=None if head_mask is None else head_mask[l])
            x = x + a  # h[l + 0.5]
            hidden.append(x)
            m, act = block.mlp(block.norm2(x))
            x = x + m  # h[l + 1]
            hidden.append(x)
            attn.append(probs)
            mlp_act.append(act)
        logits = self.lm_head(self.final_norm(x))
        if not record:
            return logits
        return dict(hidden=hidden, attn=attn, mlp_act=mlp_act, logits=logits)


# ---------------------------------------------------------------- LLaMA


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, max_pos, theta):
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    ang = torch.outer(torch.arange(max_pos, dtype=torch.float64), inv_freq)  # [max_pos, hd/2]
    return ang.cos().float(), ang.sin().float()


def apply_rope(x, cos, sin, interleaved, half):
    """x [B, H, T, hd]; cos/sin [T, hd/2]; half = hd/2 as a Python int (static Slice bounds)."""
    if interleaved:  # llama2.c: pairs (2i, 2i+1)
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)
    # Hugging Face: pairs (i, i + hd/2), i.e. rotate_half
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def repeat_kv(x, rep):
    # Same as repeat_interleave(rep, dim=1); written as Expand + Reshape (as HF does) because that
    # is what real exports contain.
    B, KV, T, hd = x.shape
    return x[:, :, None].expand(B, KV, rep, T, hd).reshape(B, KV * rep, T, hd)


class LlamaAttention(nn.Module):
    scale = None  # attend()'s default, 1 / sqrt(hd); reference.py --bfloat16-values sets it

    def __init__(self, cfg):
        super().__init__()
        self.h, self.kvh = cfg.num_attention_heads, cfg.num_key_value_heads
        self.hd = cfg.hidden_size // self.h
        self.interleaved = cfg.rope_interleaved
        d = cfg.hidden_size
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)

    def qkv(self, x, cos, sin):
        """q [B, H, T, hd] and k [B, kvH, T, hd] with RoPE applied, v [B, kvH, T, hd]."""
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.kvh, self.hd).transpose(1, 2)
        q = apply_rope(q, cos, sin, self.interleaved, self.hd // 2)
        k = apply_rope(k, cos, sin, self.interleaved, self.hd // 2)
        return q, k, v

    def forward(self, x, mask, cos, sin, head_mask=None):
        q, k, v = self.qkv(x, cos, sin)
        # Grouped KV heads, expanded by repeat: KV head j serves query heads j*rep .. j*rep+rep-1.
        k, v = repeat_kv(k, self.h // self.kvh), repeat_kv(v, self.h // self.kvh)
        out, probs = attend(q, k, v, mask, head_mask, self.hd, self.scale)
        return self.o_proj(out), probs


class SwiGLU(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, f = cfg.hidden_size, cfg.intermediate_size
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        act = F.silu(self.gate_proj(x)) * self.up_proj(x)  # the "MLP activation"
        return self.down_proj(act), act


class LlamaBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.attn = LlamaAttention(cfg)
        self.norm2 = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = SwiGLU(cfg)


class Llama(Decoder):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.blocks = nn.ModuleList(LlamaBlock(cfg) for _ in range(cfg.num_hidden_layers))
        self.final_norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        cos, sin = rope_tables(cfg.hidden_size // cfg.num_attention_heads,
                               cfg.max_position_embeddings, cfg.rope_theta)
        # Not in the state_dict (recomputed from the config); initializers in the ONNX graph.
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def embed(self, ids):
        return self.embed_tokens(ids)

    def attn_extras(self, T):
        return self.rope_cos[:T], self.rope_sin[:T]


# ---------------------------------------------------------------- GPT-2


class Gpt2Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.h, self.d = cfg.num_attention_heads, cfg.hidden_size
        self.c_attn = nn.Linear(self.d, 3 * self.d)  # fused q|k|v, as in GPT-2 (exports a Split)
        self.c_proj = nn.Linear(self.d, self.d)

    def forward(self, x, mask, head_mask=None):
        B, T, _ = x.shape
        q, k, v = self.c_attn(x).split(self.d, dim=-1)
        q, k, v = (t.view(B, T, self.h, self.d // self.h).transpose(1, 2) for t in (q, k, v))
        out, probs = attend(q, k, v, mask, head_mask, self.d // self.h)
        return self.c_proj(out), probs


class GeluMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.c_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x):
        act = F.gelu(self.c_fc(x), approximate="tanh")  # GPT-2's "gelu_new"
        return self.c_proj(act), act


class Gpt2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_epsilon)
        self.attn = Gpt2Attention(cfg)
        self.norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_epsilon)
        self.mlp = GeluMLP(cfg)


class Gpt2(Decoder):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.wpe = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.blocks = nn.ModuleList(Gpt2Block(cfg) for _ in range(cfg.num_hidden_layers))
        self.final_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_epsilon)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # GPT-2 always ties

    def embed(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        return self.wte(ids) + self.wpe(pos)  # h[0] includes the learned positions

    def attn_extras(self, T):
        return ()


def build(cfg):
    if cfg.model_type == "gpt_neox":
        import neox
        return neox.GptNeoX(cfg)
    if cfg.model_type not in ("llama", "gpt2"):
        import archs
        return archs.ArchDecoder(cfg)
    return Llama(cfg) if cfg.model_type == "llama" else Gpt2(cfg)


def random_init(model, seed, q_gain=2.0):
    """Deterministic random weights that give non-trivial activations.

    Unit-variance projections (std 1/sqrt(fan_in)) and q scaled by q_gain so attention is peaked,
    not uniform: with uniform attention, attention to key 0 equals attention to any key and a test
    could not tell them apart. Norm weights and biases are random too, so that loading them in the
    wrong place shows up.
    """
    if model.cfg.model_type == "gpt_neox":
        import neox
        return neox.random_init(model, seed, q_gain)
    if not isinstance(model, Decoder):
        import archs
        return archs.random_init(model, seed, q_gain)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2 and "wte" not in name and "embed" not in name and "wpe" not in name:
                std = 1.0 / math.sqrt(p.shape[1])
                if name.endswith("q_proj.weight"):
                    std *= q_gain
                p.copy_(torch.randn(p.shape, generator=g) * std)
            elif p.dim() == 2:  # embeddings
                p.copy_(torch.randn(p.shape, generator=g) * (0.5 if "wpe" in name else 1.0))
            elif name.endswith("weight"):  # norm gains
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:  # biases
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        if isinstance(model, Gpt2):  # fused c_attn: sharpen the q third like q_proj above
            for b in model.blocks:
                b.attn.c_attn.weight[: model.cfg.hidden_size] *= q_gain
    return model
