"""The layers of archs.ArchDecoder, each as its model's transformers code computes it (eager path):
norms, attention, gated MLP, Qwen3-MoE's sparse block, and the decoder layer that arranges them
(pre-norm; Gemma 2/3's sandwich; OLMo 2's post-norm). archs.py's docstring says what each model
type adds to LLaMA.
"""
import torch
import torch.nn.functional as F
from torch import nn

from models import apply_rope, repeat_kv

GEMMA = ("gemma2", "gemma3_text")
BIASED_ATTENTION = ("llama", "qwen3", "qwen3_moe", "gemma2", "gemma3_text", "olmo2")


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


class Olmo2RMSNorm(RMSNorm):
    """Olmo2RMSNorm: the gain multiplies in float32, before the cast back ((w * x).to(dtype))."""

    def forward(self, x):
        dtype = x.dtype
        x = x.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return (self.weight * x).to(dtype)


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


def qk_norms(c, heads, kv_heads, hd):
    """(q_norm, k_norm, scope): Qwen3 RMSNorm over each head; Gemma 3 the same with Gemma's (1 + w);
    OLMo 2 over the whole projection, before the heads are split; none for the others."""
    t = c.model_type
    if t in ("qwen3", "qwen3_moe"):
        return RMSNorm(hd, c.rms_norm_eps), RMSNorm(hd, c.rms_norm_eps), "head"
    if t == "gemma3_text":
        return GemmaRMSNorm(hd, c.rms_norm_eps), GemmaRMSNorm(hd, c.rms_norm_eps), "head"
    if t == "olmo2":
        return Olmo2RMSNorm(heads * hd, c.rms_norm_eps), Olmo2RMSNorm(kv_heads * hd, c.rms_norm_eps), "projection"
    return None, None, None


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        t = c.model_type
        self.h, self.kvh, self.hd = c.num_attention_heads, c.num_key_value_heads, c.hd
        d, q_out, kv_out = c.hidden_size, self.h * self.hd, self.kvh * self.hd
        self.fused = t == "phi3"
        bias = c.attention_bias and t in BIASED_ATTENTION
        if self.fused:  # Phi-3: one projection, sliced q | k | v
            self.qkv_proj = nn.Linear(d, q_out + 2 * kv_out, bias=bias)
        else:
            qkv_bias = True if t == "qwen2" else bias
            self.q_proj = nn.Linear(d, q_out, bias=qkv_bias)
            self.k_proj = nn.Linear(d, kv_out, bias=qkv_bias)
            self.v_proj = nn.Linear(d, kv_out, bias=qkv_bias)
        self.o_proj = nn.Linear(q_out, d, bias=bias if t != "qwen2" else False)
        q_norm, k_norm, self.qk_norm = qk_norms(c, self.h, self.kvh, self.hd)
        if self.qk_norm:
            self.q_norm, self.k_norm = q_norm, k_norm
        self.scaling = (c.query_pre_attn_scalar if t in GEMMA else self.hd) ** -0.5
        self.softcap = c.attn_logit_softcapping if t == "gemma2" else None  # Gemma 3 passes no softcap
        # Phi-3's partial_rotary_factor: only the first rotary_dim dims of each head are rotated.
        self.rotary_dim = int(self.hd * c.partial_rotary_factor) if t == "phi3" else self.hd

    def rope(self, x, cos, sin):
        if self.rotary_dim == self.hd:
            return apply_rope(x, cos, sin, False, self.hd // 2)
        rd = self.rotary_dim
        return torch.cat((apply_rope(x[..., :rd], cos, sin, False, rd // 2), x[..., rd:]), dim=-1)

    def forward(self, x, mask, cos, sin, head_mask=None):
        B, T, _ = x.shape
        if self.fused:
            qkv = self.qkv_proj(x)
            qp, kp = self.h * self.hd, self.kvh * self.hd
            q, k, v = qkv[..., :qp], qkv[..., qp:qp + kp], qkv[..., qp + kp:]
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        if self.qk_norm == "projection":
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(B, T, self.h, self.hd)
        k = k.view(B, T, self.kvh, self.hd)
        if self.qk_norm == "head":
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = v.view(B, T, self.kvh, self.hd).transpose(1, 2)
        q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
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
        t = c.model_type
        gemma = t in GEMMA
        Norm = GemmaRMSNorm if gemma else Olmo2RMSNorm if t == "olmo2" else RMSNorm
        self.sliding = c.sliding(layer)
        self.post_norm = t == "olmo2"  # OLMo 2: no norm before attention or MLP
        if not self.post_norm:
            self.input_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        # HF naming: LLaMA-likes call the pre-MLP norm post_attention_layernorm; Gemma has four;
        # OLMo 2 norms each branch's output (post_attention / post_feedforward_layernorm).
        self.post_attention_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
        if gemma:
            self.pre_feedforward_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
        if gemma or self.post_norm:
            self.post_feedforward_layernorm = Norm(c.hidden_size, c.rms_norm_eps)
        self.gemma = gemma
        if c.moe(layer):
            self.mlp = SparseMoeBlock(c)
        else:
            self.mlp = GatedMLP(c.hidden_size, c.intermediate_size, act="gelu_tanh" if gemma else "silu",
                                fused=t == "phi3", bias=c.mlp_bias and t == "llama")

    def forward(self, x, masks, cos, sin, head_mask):
        if self.post_norm:
            a, probs = self.self_attn(x, masks[self.sliding], cos, sin, head_mask)
            x = x + self.post_attention_layernorm(a)  # h[l + 0.5]
            m, act = self.mlp(x)
            return x, x + self.post_feedforward_layernorm(m), probs, act
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
