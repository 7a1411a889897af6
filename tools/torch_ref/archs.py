"""More Hugging Face decoder architectures, small and explicit: Mistral, Qwen2, Qwen3, Phi-3,
Gemma 2 and Qwen3-MoE, and LLaMA with transformers' module names (tools/hf_ref builds it for
safetensors checkpoints; models.Llama keeps this project's own names for the ONNX fixtures).
Each forward follows the architecture's transformers implementation (eager attention path);
models.py's `build` / `config_from_dict` dispatch here by `model_type`.

Same contract as models.Decoder: `forward(ids, head_mask=None, record=False)` returns logits, or
with `record=True` the residual stream at depths 0, 0.5, ..., L (final norm not applied), the
attention probabilities and the MLP activation (input of the down-projection) of every layer;
None for a mixture-of-experts layer, where no single tensor is "the" activation. `head_mask[L][H]`
zeroes a head's output before the output projection.

What each architecture adds to LLaMA (all pre-norm, RoPE rotate_half, SwiGLU unless said):
  llama      (itself) q/k/v/o bias when `attention_bias`, gate/up/down bias when `mlp_bias`;
             `rope_scaling` lives in tools/hf_ref/hf_rope.py, which sets the rotary tables.
  mistral    grouped KV heads; sliding-window attention in every layer when `sliding_window` is
             set: key k is visible from query q iff k <= q and q - k < sliding_window.
  qwen2      bias on q/k/v, none on o_proj. Windows only with `use_sliding_window` (and then from
             layer `max_window_layers` on, or per `layer_types`).
  qwen3      RMSNorm over each head's q and k (`q_norm`, `k_norm`, weight [head_dim]) before RoPE;
             `head_dim` may differ from hidden_size / heads; bias per `attention_bias`.
  phi3       one fused `qkv_proj` sliced into q | k | v, one fused `gate_up_proj` chunked into
             gate | up; windows when `sliding_window` is set.
  gemma2     h[0] = embedding * sqrt(hidden_size) (the normaliser cast to the dtype); RMSNorm
             scales by (1 + weight); sandwich norms (post_attention_layernorm on the attention
             output and post_feedforward_layernorm on the MLP output, before the residual adds);
             scores scaled by query_pre_attn_scalar^-0.5 and soft-capped (tanh(s / c) * c) before
             the mask; GELU-tanh gated MLP; tied head; final logits soft-capped; `layer_types`
             alternates sliding_attention / full_attention.
  qwen3_moe  qwen3 attention; MLP = Qwen3MoeSparseMoeBlock in every layer not in mlp_only_layers
             (with decoder_sparse_step): router Linear -> softmax (float32) -> top-k -> renormalise
             (norm_topk_prob) -> sum of the chosen experts' SwiGLU outputs times their weights.
             `dense = True` (set for the ONNX export) runs every expert and combines them with the
             top-k weights scattered into an [N, experts] matrix, zero elsewhere: the same numbers
             as the sparse dispatch (x * 0 = 0 and adding 0 is exact), with plain ONNX ops.
"""
import math
from dataclasses import dataclass, field, fields
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from models import apply_rope, causal_mask, repeat_kv, rope_tables

ARCH_TYPES = ("mistral", "qwen2", "qwen3", "phi3", "gemma2", "qwen3_moe")
HF_CLASS = dict(llama="LlamaForCausalLM", mistral="MistralForCausalLM", qwen2="Qwen2ForCausalLM",
                qwen3="Qwen3ForCausalLM", phi3="Phi3ForCausalLM", gemma2="Gemma2ForCausalLM",
                qwen3_moe="Qwen3MoeForCausalLM")


@dataclass
class ArchConfig:
    model_type: str
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    hidden_size: int = 64
    intermediate_size: int = 128
    vocab_size: int = 256
    max_position_embeddings: int = 1024
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = False
    bos_token_id: int = 0
    head_dim: Optional[int] = None  # None: hidden_size // num_attention_heads
    sliding_window: Optional[int] = None
    use_sliding_window: bool = False  # qwen2 / qwen3 / qwen3_moe only
    max_window_layers: Optional[int] = None
    layer_types: Optional[List[str]] = None
    attention_bias: bool = False  # llama / qwen3 / qwen3_moe / gemma2 (qwen2: q/k/v always biased; phi3, mistral: none)
    mlp_bias: bool = False  # llama
    rope_scaling: Optional[dict] = None  # llama (tools/hf_ref/hf_rope.py computes it)
    query_pre_attn_scalar: Optional[float] = None  # gemma2
    attn_logit_softcapping: Optional[float] = None  # gemma2
    final_logit_softcapping: Optional[float] = None  # gemma2
    num_experts: int = 0  # qwen3_moe
    num_experts_per_tok: int = 2
    moe_intermediate_size: int = 0
    norm_topk_prob: bool = True
    decoder_sparse_step: int = 1
    mlp_only_layers: List[int] = field(default_factory=list)

    @property
    def hd(self):
        return self.head_dim or self.hidden_size // self.num_attention_heads

    def sliding(self, layer):
        """Whether `layer` attends through a sliding window (as transformers decides it)."""
        t = self.model_type
        if t == "gemma2":
            if self.layer_types is not None:
                return self.layer_types[layer] == "sliding_attention"
            return layer % 2 == 0  # Gemma 2's default: even layers slide
        if self.layer_types is not None:
            return self.layer_types[layer] == "sliding_attention" and self.sliding_window is not None
        if t in ("qwen2", "qwen3", "qwen3_moe"):
            first = self.max_window_layers if self.max_window_layers is not None else 0
            return bool(self.use_sliding_window and self.sliding_window and layer >= first)
        return self.sliding_window is not None  # mistral, phi3: every layer

    def moe(self, layer):
        return (self.model_type == "qwen3_moe" and layer not in self.mlp_only_layers
                and self.num_experts > 0 and (layer + 1) % self.decoder_sparse_step == 0)


def config_from_dict(d):
    names = {f.name for f in fields(ArchConfig)}
    return ArchConfig(**{k: v for k, v in d.items() if k in names})


def hf_config_dict(c):
    """config.json: the keys transformers' config class of that model_type has (real names)."""
    t = c.model_type
    out = dict(architectures=[HF_CLASS[t]], model_type=t, vocab_size=c.vocab_size,
               hidden_size=c.hidden_size, intermediate_size=c.intermediate_size,
               num_hidden_layers=c.num_hidden_layers, num_attention_heads=c.num_attention_heads,
               num_key_value_heads=c.num_key_value_heads, max_position_embeddings=c.max_position_embeddings,
               rms_norm_eps=c.rms_norm_eps, rope_theta=c.rope_theta, attention_dropout=0.0, tie_word_embeddings=c.tie_word_embeddings,
               bos_token_id=c.bos_token_id, torch_dtype="float32")
    if t == "gemma2":
        out.update(head_dim=c.hd, hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh",
                   query_pre_attn_scalar=c.query_pre_attn_scalar, sliding_window=c.sliding_window,
                   layer_types=c.layer_types, attn_logit_softcapping=c.attn_logit_softcapping,
                   final_logit_softcapping=c.final_logit_softcapping, attention_bias=c.attention_bias,
                   cache_implementation="hybrid")
        return out
    out["hidden_act"] = "silu"
    if t != "mistral":
        out["rope_scaling"] = None
    if t == "llama":
        out.update(head_dim=c.hd, attention_bias=c.attention_bias, mlp_bias=c.mlp_bias, rope_scaling=c.rope_scaling)
    elif t == "mistral":
        out.update(head_dim=c.hd, sliding_window=c.sliding_window)
    elif t == "qwen2":
        out.update(sliding_window=c.sliding_window, use_sliding_window=c.use_sliding_window,
                   max_window_layers=c.max_window_layers)
    elif t == "phi3":
        out.update(sliding_window=c.sliding_window, original_max_position_embeddings=c.max_position_embeddings,
                   resid_pdrop=0.0, embd_pdrop=0.0)
    else:  # qwen3, qwen3_moe
        out.update(head_dim=c.hd, attention_bias=c.attention_bias, sliding_window=c.sliding_window,
                   use_sliding_window=c.use_sliding_window, max_window_layers=c.max_window_layers)
        if c.layer_types is not None:
            out["layer_types"] = c.layer_types
        if t == "qwen3_moe":
            out.update(num_experts=c.num_experts, num_experts_per_tok=c.num_experts_per_tok,
                       moe_intermediate_size=c.moe_intermediate_size, norm_topk_prob=c.norm_topk_prob,
                       decoder_sparse_step=c.decoder_sparse_step, mlp_only_layers=c.mlp_only_layers,
                       output_router_logits=False, router_aux_loss_coef=0.001)
    return out


def sliding_mask(T, window, dtype):
    """-inf where k > q or q - k >= window, 0 elsewhere (two Trilu in the export)."""
    full = torch.full((T, T), float("-inf"), dtype=dtype)
    return full.triu(1) + full.tril(-window)


class RMSNorm(nn.Module):
    """LlamaRMSNorm as transformers writes it, float32 casts included: on float32 inputs they are
    no-ops, but the tracer records them, so the export has Cast nodes (and the residual Add takes
    the Cast's output, since x.to(float32) returns x itself), as real exports of these models do."""

    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class GemmaRMSNorm(nn.Module):
    """Gemma: x * rsqrt(mean(x^2) + eps) * (1 + weight), computed in float32 (same Casts)."""

    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        out = x.float()
        out = out * torch.rsqrt(out.pow(2).mean(-1, keepdim=True) + self.eps)
        return (out * (1.0 + self.weight.float())).type_as(x)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        t = c.model_type
        self.h, self.kvh, self.hd = c.num_attention_heads, c.num_key_value_heads, c.hd
        d, q_out, kv_out = c.hidden_size, self.h * self.hd, self.kvh * self.hd
        self.fused = t == "phi3"
        bias = c.attention_bias and t in ("llama", "qwen3", "qwen3_moe", "gemma2")
        if self.fused:  # Phi-3: one projection, sliced q | k | v
            self.qkv_proj = nn.Linear(d, q_out + 2 * kv_out, bias=bias)
        else:
            qkv_bias = True if t == "qwen2" else bias
            self.q_proj = nn.Linear(d, q_out, bias=qkv_bias)
            self.k_proj = nn.Linear(d, kv_out, bias=qkv_bias)
            self.v_proj = nn.Linear(d, kv_out, bias=qkv_bias)
        self.o_proj = nn.Linear(q_out, d, bias=bias if t != "qwen2" else False)
        self.qk_norm = t in ("qwen3", "qwen3_moe")
        if self.qk_norm:  # Qwen3: RMSNorm over head_dim, per head, before RoPE
            self.q_norm = RMSNorm(self.hd, c.rms_norm_eps)
            self.k_norm = RMSNorm(self.hd, c.rms_norm_eps)
        self.scaling = (c.query_pre_attn_scalar if t == "gemma2" else self.hd) ** -0.5
        self.softcap = c.attn_logit_softcapping if t == "gemma2" else None

    def forward(self, x, mask, cos, sin, head_mask=None):
        B, T, _ = x.shape
        if self.fused:
            qkv = self.qkv_proj(x)
            qp, kp = self.h * self.hd, self.kvh * self.hd
            q, k, v = qkv[..., :qp], qkv[..., qp:qp + kp], qkv[..., qp + kp:]
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q = q.view(B, T, self.h, self.hd)
        k = k.view(B, T, self.kvh, self.hd)
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = v.view(B, T, self.kvh, self.hd).transpose(1, 2)
        q = apply_rope(q, cos, sin, False, self.hd // 2)
        k = apply_rope(k, cos, sin, False, self.hd // 2)
        k, v = repeat_kv(k, self.h // self.kvh), repeat_kv(v, self.h // self.kvh)
        scores = q @ k.transpose(-2, -1) * self.scaling
        if self.softcap is not None:  # Gemma 2, before the mask
            scores = torch.tanh(scores / self.softcap) * self.softcap
        probs = torch.softmax(scores + mask, dim=-1)  # the layer's one attention Softmax
        out = probs @ v
        if head_mask is not None:
            out = out * head_mask.view(1, self.h, 1, 1)
        return self.o_proj(out.transpose(1, 2).reshape(B, T, self.h * self.hd)), probs


class GatedMLP(nn.Module):
    """down(act(gate(x)) * up(x)); act = SiLU, or GELU-tanh for Gemma; Phi-3 fuses gate | up."""

    def __init__(self, d, f, act="silu", fused=False, bias=False):
        super().__init__()
        self.fused = fused
        if fused:
            self.gate_up_proj = nn.Linear(d, 2 * f, bias=False)
        else:
            self.gate_proj = nn.Linear(d, f, bias=bias)
            self.up_proj = nn.Linear(d, f, bias=bias)
        self.down_proj = nn.Linear(f, d, bias=bias)
        self.act = act

    def forward(self, x):
        if self.fused:  # Phi3MLP: gate, up = gate_up_proj(x).chunk(2); up * act(gate)
            gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
            act = up * F.silu(gate)
        else:
            g = self.gate_proj(x)
            a = F.gelu(g, approximate="tanh") if self.act == "gelu_tanh" else F.silu(g)
            act = a * self.up_proj(x)
        return self.down_proj(act), act


class SparseMoeBlock(nn.Module):
    """Qwen3MoeSparseMoeBlock. Returns (output, None): no single activation tensor."""

    def __init__(self, c):
        super().__init__()
        self.top_k, self.norm_topk_prob = c.num_experts_per_tok, c.norm_topk_prob
        self.gate = nn.Linear(c.hidden_size, c.num_experts, bias=False)  # the router
        self.experts = nn.ModuleList(GatedMLP(c.hidden_size, c.moe_intermediate_size)
                                     for _ in range(c.num_experts))
        self.dense = False

    def forward(self, x):
        B, T, D = x.shape
        h = x.reshape(-1, D)
        router_logits = self.gate(h)  # [N, E]
        weights = F.softmax(router_logits, dim=1, dtype=torch.float)
        weights, chosen = torch.topk(weights, self.top_k, dim=-1)
        if self.norm_topk_prob:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        weights = weights.to(h.dtype)
        if self.dense:  # every expert on every token, weighted by the scattered top-k weights
            full = torch.zeros_like(router_logits).scatter(1, chosen, weights)  # [N, E]
            out = torch.zeros_like(h)
            for e, expert in enumerate(self.experts):
                out = out + expert(h)[0] * full[:, e:e + 1]
        else:  # transformers' dispatch: each expert on the tokens routed to it
            out = torch.zeros_like(h)
            expert_mask = F.one_hot(chosen, num_classes=len(self.experts)).permute(2, 1, 0)
            for e, expert in enumerate(self.experts):
                slot, rows = torch.where(expert_mask[e])
                y = expert(h[rows])[0] * weights[rows, slot, None]
                out.index_add_(0, rows, y.to(h.dtype))
        return out.reshape(B, T, D), None


class DecoderLayer(nn.Module):
    def __init__(self, c, layer):
        super().__init__()
        gemma = c.model_type == "gemma2"
        Norm = GemmaRMSNorm if gemma else RMSNorm
        self.sliding = c.sliding(layer)
        self.input_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        # HF naming: LLaMA-likes call the pre-MLP norm post_attention_layernorm; Gemma 2 has four.
        self.post_attention_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
        if gemma:
            self.pre_feedforward_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
            self.post_feedforward_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
        self.gemma = gemma
        if c.moe(layer):
            self.mlp = SparseMoeBlock(c)
        else:
            self.mlp = GatedMLP(c.hidden_size, c.intermediate_size, act="gelu_tanh" if gemma else "silu",
                                fused=c.model_type == "phi3", bias=c.mlp_bias and c.model_type == "llama")

    def forward(self, x, masks, cos, sin, head_mask):
        a, probs = self.self_attn(self.input_layernorm(x), masks[self.sliding], cos, sin, head_mask)
        if self.gemma:
            a = self.post_attention_layernorm(a)
            x = x + a  # h[l + 0.5]
            mid = x
            m, act = self.mlp(self.pre_feedforward_layernorm(x))
            m = self.post_feedforward_layernorm(m)
        else:
            x = x + a
            mid = x
            m, act = self.mlp(self.post_attention_layernorm(x))
        return mid, mid + m, probs, act


class Inner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(c, l) for l in range(c.num_hidden_layers))
        self.norm = (GemmaRMSNorm if c.model_type == "gemma2" else RMSNorm)(c.hidden_size, c.rms_norm_eps)


class ArchDecoder(nn.Module):
    """state_dict keys are transformers' (model.layers.0.self_attn.q_proj.weight, lm_head.weight)."""

    def __init__(self, c):
        super().__init__()
        self.cfg = c
        self.model = Inner(c)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        if c.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        cos, sin = rope_tables(c.hd, c.max_position_embeddings, c.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def set_dense_moe(self, dense):
        for m in self.modules():
            if isinstance(m, SparseMoeBlock):
                m.dense = dense

    def forward(self, input_ids, head_mask=None, record=False):
        c = self.cfg
        T = input_ids.shape[1]
        x = self.model.embed_tokens(input_ids)
        if c.model_type == "gemma2":
            x = x * torch.tensor(c.hidden_size ** 0.5, dtype=x.dtype)  # h[0]
        masks = {False: causal_mask(T, x.dtype)}
        if any(layer.sliding for layer in self.model.layers):
            masks[True] = sliding_mask(T, c.sliding_window, x.dtype)
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        hidden, attn, mlp_act = [x], [], []
        for l, layer in enumerate(self.model.layers):
            mid, x, probs, act = layer(x, masks, cos, sin, None if head_mask is None else head_mask[l])
            hidden += [mid, x]
            attn.append(probs)
            mlp_act.append(act)
        logits = self.lm_head(self.model.norm(x))
        if c.model_type == "gemma2" and c.final_logit_softcapping is not None:
            cap = c.final_logit_softcapping
            logits = torch.tanh(logits / cap) * cap
        if not record:
            return logits
        return dict(hidden=hidden, attn=attn, mlp_act=mlp_act, logits=logits)


def random_init(model, seed, q_gain=2.0):
    """As models.random_init: unit-variance projections, q sharpened by q_gain (for Qwen3's
    normalised q: its q_norm gain), random norm gains and biases, so misplaced weights show."""
    c = model.cfg
    gemma = c.model_type == "gemma2"
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("embed_tokens.weight"):
                # Gemma multiplies by sqrt(d): start at std 1/sqrt(d) so h[0] is unit scale.
                p.copy_(torch.randn(p.shape, generator=g) * (c.hidden_size ** -0.5 if gemma else 1.0))
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
                if name.endswith("q_proj.weight"):
                    p *= q_gain
                elif name.endswith("qkv_proj.weight"):
                    p[: c.num_attention_heads * c.hd] *= q_gain
            elif name.endswith("weight"):  # norm gains (Gemma: the w of 1 + w)
                p.copy_((0.0 if gemma else 1.0) + 0.2 * torch.randn(p.shape, generator=g))
                if name.endswith("q_norm.weight"):
                    p *= q_gain
            else:  # biases
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model
