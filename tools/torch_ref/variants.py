"""Fixtures that are another fixture's model exported differently (export_fixtures.py --only NAME).

  llama-attention23   llama-gqa-random, each layer's attention one ONNX Attention node (opset 23);
                      attention23.py says how.
  llama-bf16          llama-gqa-random rounded to bfloat16, all of it bf16, with a KV cache.
  llama-bf16-storage  the same weights stored in bf16, bf16 KV cache and logits, float32 compute.
                      bf16.py says how.

Each folder is laid out like the base fixture's (model.onnx, config.json, weights.pt,
fixture.json), so reference.py reads it the same way: weights.pt is the float32 state_dict the
graph's weights equal (bf16-rounded for the bf16 variants).
"""
import json
import os

import torch

import attention23
import bf16
from models import build, hf_config_dict, random_init

VARIANTS = {
    "llama-attention23": "attention23",
    "llama-bf16": "bf16",
    "llama-bf16-storage": "bf16-storage",
}
BASE = "llama-gqa-random"


def make_variant(name, out_root, fixtures, plain_export):
    """`fixtures`: export_fixtures.FIXTURES; `plain_export(module, path)`: its opset-14 export."""
    kind = VARIANTS[name]
    cfg, _, seed, _ = fixtures[BASE]
    folder = os.path.join(out_root, name)
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(seed)
    model = random_init(build(cfg), seed).eval()
    meta = dict(name=name, kind="random", seed=seed, family=cfg.model_type, base=BASE,
                made_by="tools/torch_ref/variants.py", torch=torch.__version__)
    config = hf_config_dict(cfg)
    path = os.path.join(folder, "model.onnx")
    if kind != "attention23":
        bf16.round_to_bf16(model)
    torch.save(model.state_dict(), os.path.join(folder, "weights.pt"))  # before any .to(bfloat16)
    if kind == "attention23":
        attention23.export(model, path, plain_export)
        meta.update(onnx_opset=attention23.OPSET, attention="ONNX Attention: 3-D inputs with q_num_heads/"
                    "kv_num_heads and scale in even layers, 4-D inputs in odd layers; is_causal=1")
    else:
        bf16.export(model, cfg, path, opset=bf16.OPSET, full=kind == "bf16")
        config["torch_dtype"] = "bfloat16"
        meta.update(onnx_opset=bf16.OPSET, precision="bfloat16 throughout" if kind == "bf16" else
                    "bfloat16 weights, KV cache and logits; float32 compute",
                    weights="llama-gqa-random rounded to bfloat16 (weights.pt: those values in float32)")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, "fixture.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"{name}: {kind} variant of {BASE}, model.onnx {os.path.getsize(path) / 1e6:.1f} MB")
