"""Rotary tables as transformers computes them for a checkpoint, in float32 torch arithmetic:
modeling_rope_utils' `_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters`,
`_compute_llama3_parameters` and `_compute_longrope_parameters` for inv_freq (over the rotated
dims only: `partial_rotary_factor`), then LlamaRotaryEmbedding.forward (freqs = inv_freq @
positions in float32, cos / sin times attention_scaling). The ONNX fixtures' models.rope_tables
computes angles in float64 instead; for checkpoints the reference must match what transformers
(and the graph Sink Lens builds) computes.

Longrope (Phi-3): `dynamic_rope_update` picks the long factors when the sequence (max position + 1)
is longer than `original_max_position_embeddings`, the short ones otherwise; both are scaled by the
same attention factor sqrt(1 + ln(factor) / ln(original)), factor = max_position_embeddings /
original_max_position_embeddings (1 when that is <= 1), unless `attention_factor` is given.
"""
import math

import torch

LONGROPE_ALIASES = ("su", "yarn")  # Phi3Config._rope_scaling_adjustment renames these to longrope


def rope_settings(config, layer_type=None):
    """(type, parameters, theta): `rope_parameters` (transformers 5, per layer type for Gemma 3) or
    `rope_theta` + `rope_scaling`."""
    params = config.get("rope_parameters")
    if isinstance(params, dict):
        if layer_type is not None and isinstance(params.get(layer_type), dict):
            params = params[layer_type]
        return params.get("rope_type", params.get("type", "default")), params, params.get("rope_theta", config.get("rope_theta", 10000.0))
    scaling = config.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if config.get("model_type") == "phi3" and kind in LONGROPE_ALIASES:
        kind = "longrope"
    return kind, scaling, config.get("rope_theta", 10000.0)


def base_inv_freq(base, dim):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def inv_freq(config, dim, layer_type=None):
    kind, params, base = rope_settings(config, layer_type)
    freq = base_inv_freq(base, dim)
    if kind == "default":
        return freq
    if kind == "linear":
        return freq / params["factor"]
    if kind == "llama3":
        factor = params["factor"]
        low_freq_factor, high_freq_factor = params["low_freq_factor"], params["high_freq_factor"]
        old_context_len = params["original_max_position_embeddings"]
        low_freq_wavelen = old_context_len / low_freq_factor
        high_freq_wavelen = old_context_len / high_freq_factor
        wavelen = 2 * math.pi / freq
        freq_llama = torch.where(wavelen > low_freq_wavelen, freq / factor, freq)
        smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
        smoothed = (1 - smooth_factor) * freq_llama / factor + smooth_factor * freq_llama
        is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
        return torch.where(is_medium, smoothed, freq_llama)
    raise SystemExit(f"hf_rope: rope type {kind!r} is not implemented here")


def longrope(config, dim):
    """(short inv_freq, long inv_freq, attention factor, original_max_position_embeddings)."""
    _, params, base = rope_settings(config)
    original = config.get("original_max_position_embeddings") or params.get("original_max_position_embeddings")
    factor = params.get("factor")
    if original:
        factor = config["max_position_embeddings"] / original
    else:
        original = config["max_position_embeddings"]
    attention_factor = params.get("attention_factor")
    if attention_factor is None:
        attention_factor = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))
    shape = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    make = lambda ext: 1.0 / (torch.tensor(ext, dtype=torch.float32) * base ** shape)
    return make(params["short_factor"]), make(params["long_factor"]), attention_factor, original


def half_tables_from(freq, positions, scaling=1.0):
    """cos, sin [positions, dim / 2] (the halves of transformers' [cos, cos] / [sin, sin], which
    models.apply_rope uses as they are), float32, times the attention scaling."""
    freqs = (freq[:, None].float() @ torch.arange(positions)[None, :].float()).transpose(0, 1)
    return freqs.cos() * scaling, freqs.sin() * scaling


def half_tables(config, head_dim, positions, layer_type=None):
    return half_tables_from(inv_freq(config, head_dim, layer_type), positions)


def set_arch_tables(model, config):
    """The rotary tables of an archs.ArchDecoder built from `config`, as transformers computes them."""
    c = model.cfg
    positions = c.max_position_embeddings
    if c.model_type == "gemma3_text":
        if isinstance(config.get("rope_parameters"), dict) and "sliding_attention" in config["rope_parameters"]:
            model.rope_local_cos, model.rope_local_sin = half_tables(config, c.hd, positions, "sliding_attention")
            model.rope_cos, model.rope_sin = half_tables(config, c.hd, positions, "full_attention")
        else:  # transformers 4: sliding layers use rope_local_base_freq with the default rope type
            model.rope_local_cos, model.rope_local_sin = half_tables_from(base_inv_freq(c.rope_local_base_freq, c.hd), positions)
            model.rope_cos, model.rope_sin = half_tables(config, c.hd, positions)
        return
    dim = int(c.hd * c.partial_rotary_factor) if c.model_type == "phi3" else c.hd
    if rope_settings(config)[0] == "longrope":
        short, long, attention_factor, original = longrope(config, dim)
        model.rope_cos, model.rope_sin = half_tables_from(short, positions, attention_factor)
        long_cos, long_sin = half_tables_from(long, positions, attention_factor)
        model.rope_long = (long_cos, long_sin, original)
        return
    model.rope_cos, model.rope_sin = half_tables(config, dim, positions)
