"""A Hugging Face checkpoint folder (config.json + model.safetensors or sharded with
model.safetensors.index.json) loaded into the reference implementation, for reference.py:
  llama, mistral, qwen2, qwen3  -> archs.ArchDecoder (transformers' module names), rotary tables
                                   from hf_rope (transformers' float32 computation, rope_scaling);
  gpt2                          -> hf_gpt2.HfGpt2 (Conv1D, transformers' attention arithmetic).
Weights stored as bfloat16 or float16 are widened to float32 exactly: the forward pass then runs in
float32 from the checkpoint's own values, as the engine computes a bf16 checkpoint on the CPU.
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
import safetensors_file  # noqa: E402

LLAMA_FAMILY = ("llama", "mistral", "qwen2", "qwen3")


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
    tensors = {name: tensor.float() for name, tensor in tensors.items()}
    kind = config["model_type"]
    if kind == "gpt2":
        model = hf_gpt2.HfGpt2(config)
        state = hf_gpt2.hf_names(tensors)
    elif kind in LLAMA_FAMILY:
        cfg = archs.config_from_dict(config)
        model = archs.ArchDecoder(cfg)
        model.rope_cos, model.rope_sin = hf_rope.half_tables(config, cfg.hd, cfg.max_position_embeddings)
        # A base model saved alone has no `model.` prefix.
        bare = "embed_tokens.weight" in tensors
        state = {(name if name == "lm_head.weight" or not bare else f"model.{name}"): t for name, t in tensors.items()}
    else:
        raise SystemExit(f"hf_load: model_type {kind!r} has no reference here")
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = config.get("tie_word_embeddings", kind == "gpt2")
    if unexpected or set(missing) - ({"lm_head.weight"} if tied else set()):
        raise SystemExit(f"hf_load: {folder}: missing {missing}, unexpected {unexpected}")
    return model.eval()
