"""A Hugging Face checkpoint folder (config.json + model.safetensors or sharded with
model.safetensors.index.json) loaded into the reference implementation, for reference.py:
  llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text, olmo2, qwen3_moe
                                -> archs.ArchDecoder (transformers' module names), rotary tables
                                   from hf_rope (transformers' float32 computation, rope_scaling,
                                   longrope, Gemma 3's local base, partial rotary);
  gpt_neox                      -> neox.GptNeoX (names with or without `gpt_neox.`);
  gpt2                          -> hf_gpt2.HfGpt2 (Conv1D, transformers' attention arithmetic).
Weights stored as bfloat16 or float16 are widened to float32 exactly: the forward pass then runs in
float32 from the checkpoint's own values, as the engine computes a bf16 checkpoint on the CPU.
Values that transformers itself makes in the model's dtype stay rounded to it: Gemma's embedding
normaliser, `torch.tensor(sqrt(hidden_size), dtype=...)`, is the checkpoint dtype's value.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "torch_ref"))
import archs  # noqa: E402
import hf_gpt2  # noqa: E402
import hf_rope  # noqa: E402
import neox  # noqa: E402
import safetensors_file  # noqa: E402

ARCH_DECODERS = ("llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "olmo2", "qwen3_moe")


def is_checkpoint(path):
    return os.path.isdir(path) and os.path.exists(os.path.join(path, "config.json")) and (
        os.path.exists(os.path.join(path, "model.safetensors"))
        or os.path.exists(os.path.join(path, "model.safetensors.index.json")))


def read_checkpoint(folder):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    tensors = {}
    for name in files:
        tensors.update(safetensors_file.read(os.path.join(folder, name)))
    return config, tensors


def load(folder):
    config, tensors = read_checkpoint(folder)
    # the model's dtype, as the engine takes it: its token embedding's
    stored = next((t.dtype for name, t in tensors.items() if name.endswith(("embed_tokens.weight", "embed_in.weight"))), torch.float32)
    tensors = {name: tensor.float() for name, tensor in tensors.items()}
    kind = config["model_type"]
    if kind == "gpt2":
        model = hf_gpt2.HfGpt2(config)
        state = hf_gpt2.hf_names(tensors)
    elif kind == "gpt_neox":
        model = neox.GptNeoX(neox.config_from_dict(config))
        bare = "embed_in.weight" in tensors  # GPTNeoXModel saved alone
        state = {(f"gpt_neox.{name}" if bare and name != "embed_out.weight" else name): t for name, t in tensors.items()
                 if not name.endswith(("attention.bias", "attention.masked_bias", "rotary_emb.inv_freq"))}
    elif kind in ARCH_DECODERS:
        cfg = archs.config_from_dict(config)
        model = archs.ArchDecoder(cfg)
        hf_rope.set_arch_tables(model, config)
        model.embed_scale_dtype = stored
        # A base model saved alone has no `model.` prefix.
        bare = "embed_tokens.weight" in tensors
        state = {(name if name == "lm_head.weight" or not bare else f"model.{name}"): t for name, t in tensors.items()}
    else:
        raise SystemExit(f"hf_load: model_type {kind!r} has no reference here")
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = config.get("tie_word_embeddings", kind in ("gpt2", "gemma2", "gemma3_text"))
    if unexpected or set(missing) - ({"lm_head.weight", "embed_out.weight"} if tied else set()):
        raise SystemExit(f"hf_load: {folder}: missing {missing}, unexpected {unexpected}")
    return model.eval()
