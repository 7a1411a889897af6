"""GPT-NeoX (EleutherAI's Pythia suite) as transformers' modeling_gpt_neox computes it, eager path,
with its module names (`gpt_neox.layers.0.attention.query_key_value.weight`, `embed_out.weight`):

  - LayerNorm with bias before attention (`input_layernorm`) and before the MLP
    (`post_attention_layernorm`);
  - one fused `query_key_value` projection whose rows are interleaved per head: viewed as
    [heads, 3 * head_dim], head h's q, k and v are columns 0:hd, hd:2hd, 2hd:3hd of row h;
  - rotary embedding over the first `rotary_ndims = int(head_dim * rotary_pct)` dims of each head
    only (rotate_half within them), base `rotary_emb_base`; the rest passes unrotated;
  - scores `q k^T * head_dim^-0.5` (baddbmm with alpha), `torch.where(causal, scores, finfo.min)`,
    softmax; `dense` output projection; biases everywhere (`attention_bias`, default true);
  - MLP `dense_4h_to_h(act(dense_h_to_4h(x)))`, act = ACT2FN[hidden_act] (Pythia: exact "gelu");
  - `use_parallel_residual` true (Pythia): x + attn(ln1(x)) + mlp(ln2(x)), computed as transformers
    writes it, `mlp_output + attn_output + hidden_states`; false: x + attn(ln1(x)), then + mlp(ln2(·));
  - untied `embed_out` unless `tie_word_embeddings`.

Same forward contract as models.Decoder, except that a parallel block has no state after its
attention: `record=True` returns the residual stream at the depths that exist (0, 1, …, L when
every block is parallel; 0, 0.5, 1, … otherwise) and says which in `depths`.
`parallel_sum` (not an HF key) only changes how an ONNX export adds a parallel block's terms:
"hf" (mlp + attn) + h as transformers, "stream-first" (h + attn) + mlp, so that the matcher is
tested on both spellings; the numbers are the same up to float rounding.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

HF_CLASS = "GPTNeoXForCausalLM"


@dataclass
class NeoXConfig:
    model_type: str = "gpt_neox"
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    hidden_size: int = 64
    intermediate_size: int = 256
    vocab_size: int = 256
    max_position_embeddings: int = 1024
    rotary_pct: float = 0.25
    rotary_emb_base: float = 10000.0
    layer_norm_eps: float = 1e-5
    use_parallel_residual: bool = True
    attention_bias: bool = True
    hidden_act: str = "gelu"
    tie_word_embeddings: bool = False
    bos_token_id: int = 0
    parallel_sum: str = "hf"

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    @property
    def rotary_ndims(self):
        return int(self.head_dim * self.rotary_pct)


def config_from_dict(d):
    """A gpt_neox config.json (transformers 4 keys, or 5's partial_rotary_factor / rope_theta)."""
    names = set(NeoXConfig.__dataclass_fields__)
    cfg = NeoXConfig(**{k: v for k, v in d.items() if k in names})
    if "partial_rotary_factor" in d and "rotary_pct" not in d:
        cfg.rotary_pct = d["partial_rotary_factor"]
    params = d.get("rope_parameters") if isinstance(d.get("rope_parameters"), dict) else {}
    cfg.rotary_emb_base = params.get("rope_theta", d.get("rope_theta", d.get("rotary_emb_base", cfg.rotary_emb_base)))
    return cfg


def hf_config_dict(c):
    return dict(architectures=[HF_CLASS], model_type="gpt_neox", vocab_size=c.vocab_size, hidden_size=c.hidden_size,
                intermediate_size=c.intermediate_size, num_hidden_layers=c.num_hidden_layers,
                num_attention_heads=c.num_attention_heads, max_position_embeddings=c.max_position_embeddings,
                rotary_pct=c.rotary_pct, rotary_emb_base=c.rotary_emb_base, layer_norm_eps=c.layer_norm_eps,
                use_parallel_residual=c.use_parallel_residual, attention_bias=c.attention_bias, hidden_act=c.hidden_act,
                tie_word_embeddings=c.tie_word_embeddings, bos_token_id=c.bos_token_id, eos_token_id=c.bos_token_id,
                hidden_dropout=0.0, attention_dropout=0.0, initializer_range=0.02, use_cache=True, torch_dtype="float32")


def rotary_tables(c, positions):
    """GPTNeoXRotaryEmbedding: inv_freq over rotary_ndims (float32), outer(t, inv_freq), then cos / sin of
    the two halves' shared angles: [positions, rotary_ndims / 2] each."""
    dim = c.rotary_ndims
    inv_freq = 1.0 / (c.rotary_emb_base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    freqs = torch.outer(torch.arange(positions, dtype=torch.int64).type_as(inv_freq), inv_freq)
    return freqs.cos(), freqs.sin()


def activation(name):
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return lambda x: F.gelu(x, approximate="tanh")
    return {"gelu": F.gelu, "relu": F.relu, "silu": F.silu}[name]


class NeoXAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h, self.hd, self.rd = c.num_attention_heads, c.head_dim, c.rotary_ndims
        self.query_key_value = nn.Linear(c.hidden_size, 3 * c.hidden_size, bias=c.attention_bias)
        self.dense = nn.Linear(c.hidden_size, c.hidden_size, bias=c.attention_bias)

    def forward(self, x, cos, sin, head_mask=None):
        B, T, D = x.shape
        qkv = self.query_key_value(x).view(B, T, self.h, 3 * self.hd)
        q = qkv[..., : self.hd].permute(0, 2, 1, 3)
        k = qkv[..., self.hd: 2 * self.hd].permute(0, 2, 1, 3)
        v = qkv[..., 2 * self.hd:].permute(0, 2, 1, 3)
        q = torch.cat((rotate(q[..., : self.rd], cos, sin), q[..., self.rd:]), dim=-1)
        k = torch.cat((rotate(k[..., : self.rd], cos, sin), k[..., self.rd:]), dim=-1)
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.hd ** -0.5
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
        probs = F.softmax(scores, dim=-1)  # the layer's one attention Softmax
        out = probs @ v
        if head_mask is not None:
            out = out * head_mask.view(1, self.h, 1, 1)
        return self.dense(out.permute(0, 2, 1, 3).reshape(B, T, D)), probs


def rotate(x, cos, sin):
    """x * cos + rotate_half(x) * sin on x's last dims (cos, sin: [T, rd / 2], one per pair)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


class NeoXMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense_h_to_4h = nn.Linear(c.hidden_size, c.intermediate_size)
        self.dense_4h_to_h = nn.Linear(c.intermediate_size, c.hidden_size)
        self.act = activation(c.hidden_act)

    def forward(self, x):
        act = self.act(self.dense_h_to_4h(x))
        return self.dense_4h_to_h(act), act


class NeoXLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.parallel, self.sum = c.use_parallel_residual, c.parallel_sum
        self.input_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.post_attention_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.attention = NeoXAttention(c)
        self.mlp = NeoXMLP(c)

    def forward(self, x, cos, sin, head_mask):
        """(states after the attention add, or [] for a parallel block; the block output; probs; activation)."""
        a, probs = self.attention(self.input_layernorm(x), cos, sin, head_mask)
        if self.parallel:
            m, act = self.mlp(self.post_attention_layernorm(x))
            out = (x + a) + m if self.sum == "stream-first" else m + a + x
            return [], out, probs, act
        mid = a + x
        m, act = self.mlp(self.post_attention_layernorm(mid))
        return [mid], m + mid, probs, act


class NeoXInner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_in = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(NeoXLayer(c) for _ in range(c.num_hidden_layers))
        self.final_layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)


class GptNeoX(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cfg = c
        self.gpt_neox = NeoXInner(c)
        self.embed_out = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        if c.tie_word_embeddings:
            self.embed_out.weight = self.gpt_neox.embed_in.weight
        cos, sin = rotary_tables(c, c.max_position_embeddings)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, input_ids, head_mask=None, record=False):
        T = input_ids.shape[1]
        x = self.gpt_neox.embed_in(input_ids)
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        hidden, depths, attn, mlp_act = [x], [0.0], [], []
        for l, layer in enumerate(self.gpt_neox.layers):
            mids, x, probs, act = layer(x, cos, sin, None if head_mask is None else head_mask[l])
            hidden += mids + [x]
            depths += [l + 0.5] * len(mids) + [l + 1.0]
            attn.append(probs)
            mlp_act.append(act)
        logits = self.embed_out(self.gpt_neox.final_layer_norm(x))
        if not record:
            return logits
        return dict(hidden=hidden, depths=depths, attn=attn, mlp_act=mlp_act, logits=logits)


def random_init(model, seed, q_gain=2.0):
    """As models.random_init: unit-variance projections with each head's q columns sharpened by
    q_gain, random LayerNorm gains and biases, so a weight read from the wrong rows shows."""
    c = model.cfg
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2 and "embed_in" not in name:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("layernorm.weight") or name.endswith("layer_norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        for layer in model.gpt_neox.layers:  # rows [heads, 3, hd]: q is the first hd rows of each head
            w = layer.attention.query_key_value.weight.view(c.num_attention_heads, 3 * c.head_dim, -1)
            w[:, : c.head_dim] *= q_gain
    return model
