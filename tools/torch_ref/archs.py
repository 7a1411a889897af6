"""More Hugging Face decoder architectures, small and explicit: Mistral, Qwen2, Qwen3, Phi-3,
Gemma 2, Gemma 3 (text), OLMo 2 and Qwen3-MoE, and LLaMA with transformers' module names
(tools/hf_ref builds it for safetensors checkpoints; models.Llama keeps this project's own names
for the ONNX fixtures). Each forward follows the architecture's transformers implementation (eager
attention path); models.py's `build` / `config_from_dict` dispatch here by `model_type`. The
layers are in arch_blocks.py; GPT-NeoX, whose blocks differ more, is neox.py.

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
             gate | up; windows when `sliding_window` is set; `partial_rotary_factor` rotates only
             the first dims of each head; `rope_scaling` longrope (hf_rope.py: short or long
             factors by sequence length against original_max_position_embeddings, cos / sin times
             the attention factor).
  gemma2     h[0] = embedding * sqrt(hidden_size) (the normaliser cast to the dtype); RMSNorm
             scales by (1 + weight); sandwich norms (post_attention_layernorm on the attention
             output and post_feedforward_layernorm on the MLP output, before the residual adds);
             scores scaled by query_pre_attn_scalar^-0.5 and soft-capped (tanh(s / c) * c) before
             the mask; GELU-tanh gated MLP; tied head; final logits soft-capped; `layer_types`
             alternates sliding_attention / full_attention (default: even layers slide).
  gemma3_text  gemma2 without the attention soft-cap (Gemma 3 passes none), plus Gemma-style
             (1 + w) RMSNorm of each head's q and k; layer l slides unless (l + 1) is a multiple
             of `sliding_window_pattern` (or per `layer_types`); sliding layers rotate with base
             `rope_local_base_freq`, full layers with `rope_theta` (and `rope_scaling`).
  olmo2      no norm before attention or MLP: each branch's output is normalised
             (post_attention_layernorm, post_feedforward_layernorm) before its residual add;
             RMSNorm of q and k over the whole projection (weight [heads * head_dim]) before the
             heads are split; the norms multiply their gain in float32 before the cast back.
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
from torch import nn

from arch_blocks import GEMMA, DecoderLayer, GemmaRMSNorm, Olmo2RMSNorm, RMSNorm, SparseMoeBlock, sliding_mask
from models import causal_mask, rope_tables

ARCH_TYPES = ("mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "olmo2", "qwen3_moe")
HF_CLASS = dict(llama="LlamaForCausalLM", mistral="MistralForCausalLM", qwen2="Qwen2ForCausalLM",
                qwen3="Qwen3ForCausalLM", phi3="Phi3ForCausalLM", gemma2="Gemma2ForCausalLM",
                gemma3_text="Gemma3ForCausalLM", olmo2="Olmo2ForCausalLM", qwen3_moe="Qwen3MoeForCausalLM")


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
    attention_bias: bool = False  # llama / qwen3 / qwen3_moe / gemma / olmo2 (qwen2: q/k/v always biased; phi3, mistral: none)
    mlp_bias: bool = False  # llama
    rope_scaling: Optional[dict] = None  # llama, phi3 longrope, gemma3 global layers (hf_rope.py computes it)
    query_pre_attn_scalar: Optional[float] = None  # gemma2, gemma3_text
    attn_logit_softcapping: Optional[float] = None  # gemma2
    final_logit_softcapping: Optional[float] = None  # gemma2, gemma3_text
    rope_local_base_freq: float = 10000.0  # gemma3_text: sliding layers' rotary base
    sliding_window_pattern: int = 6  # gemma3_text: every pattern-th layer attends fully
    partial_rotary_factor: float = 1.0  # phi3
    original_max_position_embeddings: Optional[int] = None  # phi3 (longrope's switch)
    num_experts: int = 0  # qwen3_moe
    num_experts_per_tok: int = 2
    moe_intermediate_size: int = 0
    norm_topk_prob: bool = False  # Qwen3MoeConfig's default
    decoder_sparse_step: int = 1
    mlp_only_layers: List[int] = field(default_factory=list)

    @property
    def hd(self):
        return self.head_dim or self.hidden_size // self.num_attention_heads

    def sliding(self, layer):
        """Whether `layer` attends through a sliding window (as transformers decides it)."""
        t = self.model_type
        if t in GEMMA:
            if self.layer_types is not None:
                return self.layer_types[layer] == "sliding_attention"
            if t == "gemma3_text":
                return bool((layer + 1) % self.sliding_window_pattern)
            return layer % 2 == 0  # Gemma 2's default: even layers slide
        if self.layer_types is not None:
            return self.layer_types[layer] == "sliding_attention" and self.sliding_window is not None
        if t in ("qwen2", "qwen3", "qwen3_moe"):
            first = self.max_window_layers if self.max_window_layers is not None else 0
            return bool(self.use_sliding_window and self.sliding_window and layer >= first)
        if t == "olmo2":
            return False
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
    if t in GEMMA:
        out.update(head_dim=c.hd, hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh",
                   query_pre_attn_scalar=c.query_pre_attn_scalar, sliding_window=c.sliding_window,
                   attn_logit_softcapping=c.attn_logit_softcapping,
                   final_logit_softcapping=c.final_logit_softcapping, attention_bias=c.attention_bias,
                   cache_implementation="hybrid")
        if t == "gemma2" or c.layer_types is not None:
            out["layer_types"] = c.layer_types
        if t == "gemma3_text":
            out.update(rope_local_base_freq=c.rope_local_base_freq, sliding_window_pattern=c.sliding_window_pattern,
                       rope_scaling=c.rope_scaling, use_bidirectional_attention=False)
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
        out.update(sliding_window=c.sliding_window, original_max_position_embeddings=c.original_max_position_embeddings
                   or c.max_position_embeddings, resid_pdrop=0.0, embd_pdrop=0.0)
        if c.partial_rotary_factor != 1.0:
            out["partial_rotary_factor"] = c.partial_rotary_factor
        if c.rope_scaling is not None:
            out["rope_scaling"] = c.rope_scaling
    elif t == "olmo2":
        out.update(attention_bias=c.attention_bias, rope_scaling=c.rope_scaling, pad_token_id=1, eos_token_id=c.bos_token_id)
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


class Inner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(c, l) for l in range(c.num_hidden_layers))
        Norm = GemmaRMSNorm if c.model_type in GEMMA else Olmo2RMSNorm if c.model_type == "olmo2" else RMSNorm
        self.norm = Norm(c.hidden_size, c.rms_norm_eps)


class ArchDecoder(nn.Module):
    """state_dict keys are transformers' (model.layers.0.self_attn.q_proj.weight, lm_head.weight).

    Rotary tables (the halves of transformers' cos / sin, [positions, rotary_dim / 2]): `rope_cos` /
    `rope_sin` for full-attention layers, `rope_local_cos` / `rope_local_sin` for Gemma 3's sliding
    layers; `rope_long` = (cos, sin, switch) replaces the former when T > switch (Phi-3 longrope).
    tools/hf_ref/hf_load.py sets them as transformers computes them; the ONNX fixtures keep
    models.rope_tables'. `embed_scale_dtype`: the dtype Gemma's normaliser is rounded to (the
    checkpoint's; None: the hidden states' own)."""

    def __init__(self, c):
        super().__init__()
        self.cfg = c
        self.model = Inner(c)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        if c.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        rotary_dim = int(c.hd * c.partial_rotary_factor) if c.model_type == "phi3" else c.hd
        cos, sin = rope_tables(rotary_dim, c.max_position_embeddings, c.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        if c.model_type == "gemma3_text":
            cos, sin = rope_tables(c.hd, c.max_position_embeddings, c.rope_local_base_freq)
            self.register_buffer("rope_local_cos", cos, persistent=False)
            self.register_buffer("rope_local_sin", sin, persistent=False)
        self.rope_long = None
        self.embed_scale_dtype = None

    def set_dense_moe(self, dense):
        for m in self.modules():
            if isinstance(m, SparseMoeBlock):
                m.dense = dense

    def rotary(self, T, local):
        if local and self.cfg.model_type == "gemma3_text":
            return self.rope_local_cos[:T], self.rope_local_sin[:T]
        if self.rope_long is not None and T > self.rope_long[2]:
            return self.rope_long[0][:T], self.rope_long[1][:T]
        return self.rope_cos[:T], self.rope_sin[:T]

    def forward(self, input_ids, head_mask=None, record=False):
        c = self.cfg
        T = input_ids.shape[1]
        x = self.model.embed_tokens(input_ids)
        if c.model_type in GEMMA:  # the normaliser in the model's dtype (sqrt(3072) = 55.4256 -> 55.5 in bf16)
            x = x * torch.tensor(c.hidden_size ** 0.5, dtype=self.embed_scale_dtype or x.dtype).to(x.dtype)  # h[0]
        masks = {False: causal_mask(T, x.dtype)}
        if any(layer.sliding for layer in self.model.layers):
            masks[True] = sliding_mask(T, c.sliding_window, x.dtype)
        hidden, attn, mlp_act = [x], [], []
        for l, layer in enumerate(self.model.layers):
            cos, sin = self.rotary(T, layer.sliding)
            mid, x, probs, act = layer(x, masks, cos, sin, None if head_mask is None else head_mask[l])
            hidden += [mid, x]
            attn.append(probs)
            mlp_act.append(act)
        logits = self.lm_head(self.model.norm(x))
        if c.model_type in GEMMA and c.final_logit_softcapping is not None:
            cap = c.final_logit_softcapping
            logits = torch.tanh(logits / cap) * cap
        if not record:
            return logits
        return dict(hidden=hidden, attn=attn, mlp_act=mlp_act, logits=logits)


def random_init(model, seed, q_gain=2.0):
    """As models.random_init: unit-variance projections, q sharpened by q_gain (for Qwen3's
    normalised q: its q_norm gain; Gemma 3's: its 1 + w; OLMo 2's: its q_norm gain), random norm
    gains and biases, so misplaced weights show."""
    c = model.cfg
    gemma = c.model_type in GEMMA
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
                    if c.model_type == "gemma3_text":
                        p.add_(q_gain - 1.0)  # the gain 1 + w near q_gain
                    else:
                        p *= q_gain
            else:  # biases
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model
