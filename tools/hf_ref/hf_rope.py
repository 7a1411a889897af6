"""Rotary tables as transformers computes them for a checkpoint, in float32 torch arithmetic:
modeling_rope_utils' `_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters`
and `_compute_llama3_parameters` for inv_freq, then LlamaRotaryEmbedding.forward
(freqs = inv_freq @ positions in float32, cos / sin times attention_scaling). The ONNX fixtures'
models.rope_tables computes angles in float64 instead; for checkpoints the reference must match
what transformers (and the graph Sink Lens builds) computes.
"""
import math

import torch


def rope_settings(config):
    """(type, parameters, theta) from `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling`."""
    if isinstance(config.get("rope_parameters"), dict):
        params = config["rope_parameters"]
        return params.get("rope_type", params.get("type", "default")), params, params.get("rope_theta", config.get("rope_theta", 10000.0))
    scaling = config.get("rope_scaling") or {}
    return scaling.get("rope_type", scaling.get("type", "default")), scaling, config.get("rope_theta", 10000.0)


def inv_freq(config, head_dim):
    kind, params, base = rope_settings(config)
    freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
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


def half_tables(config, head_dim, positions):
    """cos, sin [positions, head_dim / 2] (the halves of transformers' [cos, cos] / [sin, sin], which
    models.apply_rope uses as they are), float32."""
    freqs = inv_freq(config, head_dim)[:, None].float() @ torch.arange(positions)[None, :].float()
    freqs = freqs.transpose(0, 1)  # [positions, head_dim / 2]
    return freqs.cos() * 1.0, freqs.sin() * 1.0  # attention_scaling is 1 for default, linear, llama3
