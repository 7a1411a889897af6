"""Load a plain LLaMA-style ONNX export (e.g. stories260k/model.onnx) into models.Llama.

Weights are identified by graph structure, never by tensor names:
  token embedding  = the initializer Gathered by `input_ids`
  norm weights     = the 1-D constant multiplied in after x * 1/sqrt(mean(x^2) + eps)
  q / k / v        = constant-weight MatMuls on the normed input; followed forward, q reaches the
                     scores MatMul as input 0, k as input 1, v reaches the MatMul after Softmax
  o_proj           = the first constant-weight MatMul after the probabilities @ v MatMul
  gate / up / down = the two constant-weight MatMuls on the second normed input (gate feeds a
                     Sigmoid: silu(x) = x * sigmoid(x)); down is the MatMul that follows
  residual adds    = Adds whose two inputs are both computed (bias and eps Adds have a constant)
Dimensions come from the ONNX metadata `config` (llama2.c keys) or a config.json beside the file.
"""
import json
import os
from collections import defaultdict

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from models import Llama, LlamaConfig, rope_tables


class Graph:
    def __init__(self, proto):
        g = proto.graph
        self.nodes = list(g.node)
        self.values = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        for n in self.nodes:
            if n.op_type == "Constant" and n.attribute[0].name == "value":
                self.values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        self.consumers = defaultdict(list)
        for n in self.nodes:
            for i, name in enumerate(n.input):
                self.consumers[name].append((n, i))

    def const(self, name):
        return self.values.get(name)

    def users(self, name, op=None):
        return [n for n, _ in self.consumers[name] if op is None or n.op_type == op]

    def weight_input(self, node):
        """For MatMul(x, W) / Mul(x, w) with a constant W: (dynamic input name, W) else None."""
        a, b = (self.const(i) for i in node.input[:2])
        if b is not None and a is None:
            return node.input[0], b
        if a is not None and b is None:
            return node.input[1], a
        return None

    def residual_add(self, x):
        adds = [n for n in self.users(x, "Add") if all(self.const(i) is None for i in n.input)]
        assert len(adds) == 1, f"expected one residual Add on {x}, found {len(adds)}"
        return adds[0]

    def forward_until(self, start, stop):
        """Breadth-first over data edges from tensor `start` (not through Shape, whose users only
        compute shapes) until stop(node, input_index) is true; returns that (node, index)."""
        seen, queue = set(), [start]
        while queue:
            name = queue.pop(0)
            for node, idx in self.consumers[name]:
                if stop(node, idx):
                    return node, idx
                if node.op_type in ("Shape", "ConstantOfShape") or id(node) in seen:
                    continue
                seen.add(id(node))
                queue.extend(node.output)
        raise ValueError(f"no matching node after {start}")


def rms_norm(graph, x, dim):
    """Follow RMSNorm from residual tensor x: returns (weight, eps, normed output name)."""
    node, _ = graph.forward_until(x, lambda n, i: n.op_type in ("MatMul", "Softmax") or (
        n.op_type == "Mul" and (graph.weight_input(n) or (0, np.zeros(0)))[1].shape == (dim,)))
    assert node.op_type == "Mul", f"no RMSNorm weight after {x} (reached {node.op_type})"
    scalar = lambda n: [graph.const(i) for i in n.input if graph.const(i) is not None
                        and graph.const(i).size == 1]
    add_eps, _ = graph.forward_until(x, lambda n, i: n.op_type == "Add" and scalar(n))
    return graph.weight_input(node)[1], float(scalar(add_eps)[0]), node.output[0]


def const_matmuls(graph, x):
    return [n for n in graph.users(x, "MatMul") if graph.weight_input(n) is not None]


def load(path):
    proto = onnx.load(path)
    graph = Graph(proto)
    meta = {p.key: p.value for p in proto.metadata_props}
    dims = json.loads(meta["config"]) if "config" in meta else {}
    side = os.path.join(os.path.dirname(path), "config.json")
    if not dims and os.path.exists(side):
        dims = json.load(open(side))
    n_heads = dims.get("n_heads", dims.get("num_attention_heads"))
    if n_heads is None:
        raise ValueError("need the head count: ONNX metadata `config` or config.json beside it")

    emb_node = next(n for n in graph.nodes if n.op_type == "Gather" and n.input[1] == "input_ids"
                    and graph.const(n.input[0]) is not None)
    tok_emb = graph.const(emb_node.input[0])
    vocab, dim = tok_emb.shape
    hd = dim // n_heads
    softmaxes = [n for n in graph.nodes if n.op_type == "Softmax"]
    sd = {"embed_tokens.weight": tok_emb}
    h = emb_node.output[0]
    eps = interleaved = None
    for l, softmax in enumerate(softmaxes):
        p = f"blocks.{l}."
        sd[p + "norm1.weight"], eps, xn = rms_norm(graph, h, dim)
        pv = graph.users(softmax.output[0], "MatMul")[0]
        roles = {}
        for mm in const_matmuls(graph, xn):
            target, idx = graph.forward_until(
                mm.output[0], lambda n, i: n.op_type == "MatMul" and graph.weight_input(n) is None)
            role = "v" if target is pv else ("q" if idx == 0 else "k")
            roles[role] = (mm, graph.weight_input(mm)[1])
        assert sorted(roles) == ["k", "q", "v"], f"layer {l}: attention projections {sorted(roles)}"
        for role in "qkv":
            sd[p + f"attn.{role}_proj.weight"] = roles[role][1].T
        if interleaved is None:  # llama2.c RoPE slices q with step 2; HF RoPE slices halves
            q_out = roles["q"][0].output[0]
            step2 = graph.forward_until(q_out, lambda n, i: n.op_type == "Slice" and len(n.input) > 4
                                        and int(graph.const(n.input[4])[0]) == 2
                                        or n.op_type == "MatMul")
            interleaved = step2[0].op_type == "Slice"
        wo, _ = graph.forward_until(pv.output[0], lambda n, i: n.op_type == "MatMul"
                                    and graph.weight_input(n) is not None)
        sd[p + "attn.o_proj.weight"] = graph.weight_input(wo)[1].T
        add1 = graph.residual_add(h)
        assert wo.output[0] in add1.input, f"layer {l}: o_proj does not feed the residual Add"
        h = add1.output[0]

        sd[p + "norm2.weight"], _, xn = rms_norm(graph, h, dim)
        mlp = const_matmuls(graph, xn)
        assert len(mlp) == 2, f"layer {l}: expected gate and up MatMuls, found {len(mlp)}"
        gate = next(m for m in mlp if graph.users(m.output[0], "Sigmoid"))
        up = next(m for m in mlp if m is not gate)
        down, _ = graph.forward_until(up.output[0], lambda n, i: n.op_type == "MatMul")
        sd[p + "mlp.gate_proj.weight"] = graph.weight_input(gate)[1].T
        sd[p + "mlp.up_proj.weight"] = graph.weight_input(up)[1].T
        sd[p + "mlp.down_proj.weight"] = graph.weight_input(down)[1].T
        add2 = graph.residual_add(h)
        assert down.output[0] in add2.input, f"layer {l}: down_proj does not feed the residual Add"
        h = add2.output[0]

    sd["final_norm.weight"], _, xn = rms_norm(graph, h, dim)
    head = const_matmuls(graph, xn)
    assert len(head) == 1, "expected one classifier MatMul after the final norm"
    sd["lm_head.weight"] = graph.weight_input(head[0])[1].T
    tied = bool(np.array_equal(sd["lm_head.weight"], tok_emb))

    # RoPE tables: constant [P, hd/2] matrices; cos is the one whose row 0 is all ones.
    tables = [v for v in graph.values.values() if v.ndim == 2 and v.shape[1] == hd // 2
              and v.dtype == np.float32 and v.shape[0] > 1]
    cos = next(t for t in tables if np.allclose(t[0], 1.0))
    sin = next(t for t in tables if np.allclose(t[0], 0.0) and t.shape == cos.shape)
    cfg = LlamaConfig(
        num_hidden_layers=len(softmaxes), num_attention_heads=n_heads,
        num_key_value_heads=sd["blocks.0.attn.k_proj.weight"].shape[0] // hd, hidden_size=dim,
        intermediate_size=sd["blocks.0.mlp.gate_proj.weight"].shape[0], vocab_size=vocab,
        max_position_embeddings=cos.shape[0], rms_norm_eps=eps, tie_word_embeddings=tied,
        bos_token_id=int(meta.get("bos_token_id", dims.get("bos_token_id", 1))),
        rope_interleaved=bool(interleaved))
    model = Llama(cfg)
    state = {k: torch.tensor(np.array(v, dtype=np.float32)) for k, v in sd.items()}
    model.load_state_dict(state)
    ref_cos, ref_sin = rope_tables(hd, cos.shape[0], cfg.rope_theta)
    rope_err = max(float(np.abs(ref_cos.numpy() - cos).max()), float(np.abs(ref_sin.numpy() - sin).max()))
    # Use the graph's own tables (bit-exact with the export); report how far theta=1e4 is.
    model.rope_cos.copy_(torch.tensor(cos))
    model.rope_sin.copy_(torch.tensor(sin))
    model.eval()
    return model, dict(rope_table_max_diff_vs_theta_1e4=rope_err, rope_interleaved=bool(interleaved),
                       tied=tied, eps=eps)
