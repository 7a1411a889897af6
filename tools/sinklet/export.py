"""ONNX + config.json export for Sinklet (opset 14, input_ids int64 [batch, seq] -> logits)."""
import json

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from model import Config, Sinklet


def export_onnx(model: Sinklet, path, meta=None):
    model.eval()
    ids = torch.tensor([[1, 259, 260, 261, 262, 263]], dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model, (ids,), path, input_names=["input_ids"], output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}},
            opset_version=14, do_constant_folding=False,
        )
    m = onnx.load(path)
    m.doc_string = "Sinklet: a tiny LLaMA-style decoder trained to grow a BOS attention sink"
    for k, v in (meta or {}).items():
        p = m.metadata_props.add()
        p.key, p.value = k, v if isinstance(v, str) else json.dumps(v)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def hf_config(cfg: Config, extra=None):
    c = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.n_heads,
        "hidden_size": cfg.dim,
        "head_dim": cfg.dim // cfg.n_heads,
        "intermediate_size": cfg.hidden,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_seq,
        "bos_token_id": cfg.bos_id,
        "eos_token_id": 2,
        "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta,
        "hidden_act": "silu",
        "tie_word_embeddings": cfg.tie,
        "torch_dtype": "float32",
    }
    if extra:
        c["sinklet"] = extra
    return c


def write_config(cfg: Config, path, extra=None):
    with open(path, "w") as f:
        json.dump(hf_config(cfg, extra), f, indent=2)
        f.write("\n")
