"""The `llama-attention23` fixture: llama-gqa-random's weights, every layer's attention one ONNX
`Attention` node (opset 23), as newer exporters write it.

torch 1.13 and onnx 1.12 know nothing of opset 23, so the model is exported at opset 14 with a
custom symbolic that emits `Attention` where models.attend would write
MatMul / Softmax / MatMul, and the file is then moved to opset 23 by hand: the only operator of this
graph whose signature changed between 14 and 23 is ReduceMean (axes became an input at 18).
onnx 1.12's checker cannot check opset 23; onnxruntime 1.30 loads and runs the file, and the tests
compare its logits with the PyTorch reference of the same weights.

Layers alternate between the two forms the operator takes:
  even layers: 3-D Q [B, T, H*hd], K and V [B, T, kvH*hd], with q_num_heads / kv_num_heads and an
               explicit scale (the form the brief of issue #6 names);
  odd layers:  4-D Q [B, H, T, hd], K and V [B, kvH, T, hd], heads read from the shapes, default
               scale 1/sqrt(hd) (the form torch's newer exporter gives scaled_dot_product_attention).
Both with is_causal = 1 and grouped KV heads not expanded (the operator groups them itself).
"""
import math

import onnx
import torch
from onnx import helper

OPSET = 23
# torch checks the exported file against opset 14, which has no Attention: the node is emitted in
# this custom domain (not checked) and moved to the default domain afterwards.
STAGING = "sinklens_staging"


class OnnxAttention(torch.autograd.Function):
    """Causal attention that exports as one ONNX Attention node; forward computes what it means."""

    @staticmethod
    def forward(ctx, q, k, v, heads, kv_heads, head_dim, four_d):
        B = q.shape[0]
        if not four_d:  # [B, T, n*hd] -> [B, n, T, hd]
            q, k, v = (t.view(B, t.shape[1], n, head_dim).transpose(1, 2)
                       for t, n in ((q, heads), (k, kv_heads), (v, kv_heads)))
        rep = heads // kv_heads
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        T = q.shape[2]
        mask = torch.full((T, T), float("-inf")).triu(1)
        probs = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(head_dim) + mask, dim=-1)
        out = probs @ v
        return out if four_d else out.transpose(1, 2).reshape(B, T, heads * head_dim)

    @staticmethod
    def symbolic(g, q, k, v, heads, kv_heads, head_dim, four_d):
        if four_d:
            return g.op(f"{STAGING}::Attention", q, k, v, is_causal_i=1)
        return g.op(f"{STAGING}::Attention", q, k, v, is_causal_i=1, q_num_heads_i=heads,
                    kv_num_heads_i=kv_heads, scale_f=1.0 / math.sqrt(head_dim))


def fused_attention_forward(four_d):
    """A LlamaAttention.forward that ends in OnnxAttention (no head mask: export only)."""

    def forward(self, x, mask, cos, sin, head_mask=None):
        B, T, _ = x.shape
        q, k, v = self.qkv(x, cos, sin)
        if four_d:
            out = OnnxAttention.apply(q, k, v, self.h, self.kvh, self.hd, True)
            out = out.transpose(1, 2).reshape(B, T, self.h * self.hd)
        else:
            merge = lambda t: t.transpose(1, 2).reshape(B, T, t.shape[1] * self.hd)
            out = OnnxAttention.apply(merge(q), merge(k), merge(v), self.h, self.kvh, self.hd, False)
        return self.o_proj(out), None

    return forward


def export(model, path, export_onnx):
    """Exports `model` (a models.Llama) with fused attention, then moves the file to opset 23."""
    for l, block in enumerate(model.blocks):
        block.attn.forward = fused_attention_forward(l % 2 == 1).__get__(block.attn)
    try:
        export_onnx(model, path)
    finally:
        for block in model.blocks:
            del block.attn.forward  # back to the class's explicit attention (the reference)
    proto = onnx.load(path)
    to_opset_23(proto)
    declare_widths(proto, model.blocks[0].attn)
    onnx.save(proto, path)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Attention") == len(model.blocks) and "Softmax" not in ops, ops
    return proto


def declare_widths(proto, attn):
    """Declares the widths of the 3-D Attention inputs, as exporters that trace shapes do. Without
    them onnxruntime 1.30 infers a width of 0 for the Attention output (its input widths are
    computed from Shape at run time here) and refuses the model at o_proj's MatMul."""
    widths = (attn.h * attn.hd, attn.kvh * attn.hd, attn.kvh * attn.hd)
    for node in proto.graph.node:
        if node.op_type == "Attention" and any(a.name == "q_num_heads" for a in node.attribute):
            for tensor, width in zip(node.input, widths):
                proto.graph.value_info.append(helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, ["batch", "seq", width]))


def to_opset_23(proto):
    graph = proto.graph
    for node in graph.node:
        if node.domain == STAGING:
            node.domain = ""
        if node.op_type != "ReduceMean":
            continue
        axes = next(a for a in node.attribute if a.name == "axes")
        name = f"{node.name or node.output[0]}/axes"
        graph.initializer.append(helper.make_tensor(name, onnx.TensorProto.INT64, [len(axes.ints)], list(axes.ints)))
        node.input.append(name)
        node.attribute.remove(axes)
    del proto.opset_import[:]
    proto.opset_import.append(helper.make_opsetid("", OPSET))
    proto.ir_version = 10  # the IR version that goes with opsets 21 and newer
