"""The bfloat16 fixtures: llama-gqa-random's weights rounded to bfloat16, exported with a KV cache
(inputs `past_key_values.{l}.key/value` [batch, kvH, past, hd], outputs `logits` and
`present.{l}.key/value`), as Optimum's text-generation-with-past exports look.

  llama-bf16          the whole model in bfloat16 (`model.to(torch.bfloat16)`, as torch exports
                      it): bf16 weights, activations, cache inputs and outputs.
  llama-bf16-storage  bf16 weights (each initializer a bf16 tensor followed by a Cast to float32),
                      bf16 KV-cache inputs and outputs and bf16 logits; every operation computes in
                      float32. onnxruntime's CPU provider has kernels for all of it (Cast, Gather
                      and data movement are all it needs in bf16).

weights.pt holds the bf16-rounded weights as float32, so the float32 PyTorch reference
(reference.py) computes exactly what llama-bf16-storage computes, apart from the final rounding of
the logits to bf16. llama-bf16 also holds its RoPE tables, attention scale and norm eps in bf16:
reference.py --bfloat16-values rounds those too (float32 from exactly the graph's values), and
--bfloat16 runs torch's own bf16 arithmetic.
"""
import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from models import attend, repeat_kv

# Not 14 like the other fixtures: before opset 15, Pow's exponent cannot be bfloat16, and torch
# 1.13 writes a bf16 exponent for RMSNorm's x.pow(2) (a model onnxruntime rejects as invalid).
OPSET = 17


def round_to_bf16(model):
    """Rounds every parameter to the nearest bfloat16 value, kept in float32."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).float())


class CachedLlama(torch.nn.Module):
    """models.Llama with a KV cache: input_ids, past k/v of P positions -> logits, present k/v."""

    def __init__(self, model, cache_dtype):
        super().__init__()
        self.model = model
        self.cache_dtype = cache_dtype

    def forward(self, input_ids, *past):
        m = self.model
        x = m.embed_tokens(input_ids)
        P, T = past[0].shape[2], input_ids.shape[1]
        positions = torch.arange(T) + P  # the new tokens come after the cached ones
        cos, sin = m.rope_cos[positions], m.rope_sin[positions]
        keys = torch.arange(T + P)
        # Built in float32 and cast: ConstantOfShape takes bfloat16 only from opset 20 on.
        mask = torch.zeros(T, T + P).masked_fill(keys[None, :] > positions[:, None], float("-inf")).to(x.dtype)
        presents = []
        for l, block in enumerate(m.blocks):
            a, k, v = self.attention(block.attn, block.norm1(x), mask, cos, sin, past[2 * l], past[2 * l + 1])
            x = x + a
            x = x + block.mlp(block.norm2(x))[0]
            presents += [k.to(self.cache_dtype), v.to(self.cache_dtype)]
        logits = m.lm_head(m.final_norm(x))
        return (logits.to(self.cache_dtype), *presents)

    @staticmethod
    def attention(attn, x, mask, cos, sin, past_k, past_v):
        q, k, v = attn.qkv(x, cos, sin)
        k = torch.cat([past_k.to(x.dtype), k], dim=2)  # the cache holds rotated keys
        v = torch.cat([past_v.to(x.dtype), v], dim=2)
        rep = attn.h // attn.kvh
        out, _ = attend(q, repeat_kv(k, rep), repeat_kv(v, rep), mask, None, attn.hd)
        return attn.o_proj(out), k, v


def export(model, cfg, path, opset, full):
    """Exports the cached model; `full`: everything bf16, else bf16 storage and float32 compute."""
    if full:
        model = model.to(torch.bfloat16)
    kv, hd = cfg.num_key_value_heads, cfg.hidden_size // cfg.num_attention_heads
    ids = torch.arange(8).unsqueeze(0) % cfg.vocab_size
    past = [torch.zeros(1, kv, 0, hd, dtype=torch.bfloat16) for _ in range(2 * cfg.num_hidden_layers)]
    kv_names = [f"{l}.{part}" for l in range(cfg.num_hidden_layers) for part in ("key", "value")]
    inputs = ["input_ids"] + [f"past_key_values.{n}" for n in kv_names]
    outputs = ["logits"] + [f"present.{n}" for n in kv_names]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size", 1: "sequence_length"}}
    axes.update({n: {0: "batch_size", 2: "past_sequence_length"} for n in inputs[1:]})
    axes.update({n: {0: "batch_size", 2: "total_sequence_length"} for n in outputs[1:]})
    with torch.no_grad():
        torch.onnx.export(CachedLlama(model, torch.bfloat16), (ids, *past), path, input_names=inputs,
                          output_names=outputs, dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
    proto = onnx.load(path)
    if not full:
        stored = store_weights_in_bf16(proto, model)
        assert stored == len(model.state_dict()), (stored, len(model.state_dict()))
    onnx.checker.check_model(proto, full_check=True)  # with type inference: every op allows its types
    onnx.save(proto, path)
    return proto


def store_weights_in_bf16(proto, model):
    """Every float32 initializer that holds a parameter (or its transpose) becomes a bf16 tensor
    followed by a Cast to float32; found by value, since constant folding renames transposed
    weights. Lossless: the parameters are already bf16 values. Returns how many were stored."""
    params = [p.detach().numpy() for p in model.state_dict().values()]
    graph = proto.graph
    casts = []
    found = set()
    for tensor in graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT:
            continue
        array = numpy_helper.to_array(tensor)
        match = next((i for i, p in enumerate(params) if p.shape == array.shape and np.array_equal(p, array)
                      or p.ndim == 2 and p.T.shape == array.shape and np.array_equal(p.T, array)), None)
        if match is None:
            continue  # RoPE tables and other constants stay float32
        found.add(match)
        bits = (np.ascontiguousarray(array).view(np.uint32) >> 16).astype(np.uint16)
        assert np.array_equal(bits.astype(np.uint32) << 16, array.view(np.uint32)), f"{tensor.name} is not bf16-exact"
        name = tensor.name
        tensor.name = f"{name}.bf16"
        tensor.data_type = onnx.TensorProto.BFLOAT16
        tensor.raw_data = bits.tobytes()
        del tensor.float_data[:]
        casts.append(helper.make_node("Cast", [tensor.name], [name], name=f"{name}/to_float32", to=onnx.TensorProto.FLOAT))
    for node in reversed(casts):
        graph.node.insert(0, node)
    return len(found)
