"""Checkpoint fixtures of the architectures of issue 16 (GPT-NeoX, Gemma 2 / 3, Phi-3, OLMo 2,
Qwen3-MoE), in make_checkpoints.py's table format: `from` an ONNX fixture of
tools/torch_ref/export_fixtures.py (same weights, so the engine's numbers on both can be
compared), or `arch` (a config and a seed) for what no ONNX fixture has: bf16 weights, Gemma's
normaliser rounded in bf16, Gemma 2's default layer pattern, Gemma 3's scaled global rotary,
Phi-3's longrope with a partial rotary factor.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch_ref"))
from archs import ArchConfig  # noqa: E402
from neox import NeoXConfig  # noqa: E402

# Phi-4-mini's shape of longrope: partial rotary 0.75 (12 of 16 dims, 6 factors each), the long
# factors used once a prompt is longer than original_max_position_embeddings (16 here; the tests'
# 6-token prompt stays short, the 40-token one goes long), attention factor sqrt(1 + ln 4 / ln 16).
LONGROPE = dict(type="longrope", short_factor=[1.0, 1.1, 1.3, 1.6, 2.0, 2.5], long_factor=[1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
PHI3_LONGROPE = ArchConfig("phi3", num_hidden_layers=2, partial_rotary_factor=0.75, max_position_embeddings=64,
                           original_max_position_embeddings=16, rope_scaling=LONGROPE, rms_norm_eps=1e-5)
# Gemma 2 as configs written before `layer_types` say it (even layers slide); d 48, so the
# normaliser sqrt(48) = 6.928 is 6.9375 in bf16.
GEMMA2_DEFAULT_LAYERS = ArchConfig("gemma2", num_hidden_layers=3, hidden_size=48, head_dim=16, tie_word_embeddings=True,
                                   query_pre_attn_scalar=16, sliding_window=4, attn_logit_softcapping=50.0,
                                   final_logit_softcapping=30.0)
# Gemma 3 (4B and larger): global layers' rotary scaled linearly (factor 8), local base 10000.
GEMMA3_SCALED = ArchConfig("gemma3_text", num_hidden_layers=4, hidden_size=48, head_dim=16, tie_word_embeddings=True,
                           query_pre_attn_scalar=16, sliding_window=4, sliding_window_pattern=3, rope_theta=1000000.0,
                           rope_local_base_freq=10000.0, rope_scaling=dict(rope_type="linear", factor=8.0),
                           final_logit_softcapping=30.0)

ARCH_CHECKPOINTS = {
    "hf-neox": dict(source=("from", "neox-parallel"), dtype="float32", tokenizer=True),
    "hf-neox-bf16": dict(source=("from", "neox-parallel"), dtype="bfloat16"),
    "hf-neox-sequential": dict(source=("from", "neox-sequential"), dtype="float32"),
    "hf-neox-sequential-bf16": dict(source=("arch", NeoXConfig(num_hidden_layers=2, intermediate_size=128, rotary_pct=0.5,
                                                               use_parallel_residual=False, attention_bias=False), 152),
                                    dtype="bfloat16"),
    "hf-gemma2": dict(source=("from", "gemma-scaled"), dtype="float32"),
    "hf-gemma2-bf16": dict(source=("arch", GEMMA2_DEFAULT_LAYERS, 153), dtype="bfloat16"),
    "hf-gemma3": dict(source=("from", "gemma3-local"), dtype="float32"),
    "hf-gemma3-scaled": dict(source=("arch", GEMMA3_SCALED, 154), dtype="float32"),
    "hf-gemma3-bf16": dict(source=("arch", GEMMA3_SCALED, 154), dtype="bfloat16"),
    "hf-phi3": dict(source=("from", "phi3-fused"), dtype="float32"),
    "hf-phi3-longrope": dict(source=("arch", PHI3_LONGROPE, 155), dtype="float32"),
    "hf-phi3-longrope-bf16": dict(source=("arch", PHI3_LONGROPE, 155), dtype="bfloat16"),
    "hf-olmo2": dict(source=("from", "olmo2-postnorm"), dtype="float32"),
    "hf-olmo2-bf16": dict(source=("from", "olmo2-postnorm"), dtype="bfloat16"),
    "hf-qwen3-moe": dict(source=("from", "qwen3-moe"), dtype="float32"),
    "hf-qwen3-moe-bf16": dict(source=("from", "qwen3-moe"), dtype="bfloat16"),
}
