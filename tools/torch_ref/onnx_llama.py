"""Load a plain LLaMA-style ONNX export into models.Llama.

Handles stories260k (llama2.c export: interleaved RoPE, cos/sin tables as initializers, a
`config` metadata JSON), the llama fixtures (constant folding on, HF RoPE, tables as Constant
nodes) and plain torch.onnx exports made without constant folding, such as the Sinklet demo model
(models/sinklet: every weight reaches its MatMul through a Transpose of the initializer, cos/sin
are computed in the graph from inv_freq by Range -> Mul -> Concat -> Cos/Sin, config.json beside
the file and no metadata config).

Weights are identified by graph structure, never by tensor names:
  constants        = initializers, Constant nodes, and Identities / Transposes of either (folded
                     here: an unfolded `MatMul(x, Transpose(W))` reads as `MatMul(x, W^T)`, and
                     an initializer deduplicated by the exporter into `Identity(W)` reads as W)
  token embedding  = the initializer Gathered by `input_ids`
  norm weights     = the 1-D constant multiplied in after x * 1/sqrt(mean(x^2) + eps)
  q / k / v        = constant-weight MatMuls on the normed input; followed forward, q reaches the
                     scores MatMul as input 0, k as input 1, v reaches the MatMul after Softmax
  o_proj           = the first constant-weight MatMul after the probabilities @ v MatMul
  gate / up / down = the two constant-weight MatMuls on the second normed input (gate feeds a
                     Sigmoid: silu(x) = x * sigmoid(x)); down is the MatMul that follows
  residual adds    = the Add that consumes the residual tensor h itself with both inputs computed
  lm_head          = the one constant-weight MatMul on the final normed stream (tied when it
                     equals the embedding table)
RoPE: cos/sin tables are the constant [P, hd/2] tables when the graph has them, otherwise the
graph's own Cos/Sin nodes evaluated (numpy, below) at positions 0..P-1 (P = max_position_embeddings
of config.json). The convention (HF rotate_half pairs (i, i + hd/2) or llama2.c interleaved pairs
(2i, 2i + 1)) is read from the graph (step-2 Slices -> interleaved, Neg -> rotate_half) and then
verified numerically: layer 0's q and k are evaluated through the graph's own RoPE subgraph from a
random projection output and compared with models.apply_rope under both conventions; load() fails
if neither matches, or if the match contradicts the structural reading.
Dimensions come from the ONNX metadata `config` (llama2.c keys) or a config.json beside the file.
"""
import json
import os
from collections import defaultdict

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from models import Llama, LlamaConfig, apply_rope, repeat_kv, rope_tables


class Unsupported(Exception):
    """The numpy evaluator met an op it does not implement."""


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _np_dtype(onnx_type):
    return np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type])


def _run_node(node, xs):
    """One ONNX node in numpy (float32 stays float32): just the ops these exports contain."""
    op, at = node.op_type, _attrs(node)
    x = xs[0] if xs else None
    if op in ("Identity",):
        return x
    if op == "Shape":
        return np.array(x.shape[at.get("start", 0):at.get("end", None)], dtype=np.int64)
    if op == "Gather":
        return np.take(x, xs[1], axis=at.get("axis", 0))
    if op == "Cast":
        return x.astype(_np_dtype(at["to"]))
    if op == "Range":
        return np.arange(x, xs[1], xs[2]).astype(x.dtype)
    if op in ("Unsqueeze", "Squeeze"):
        axes = at.get("axes", None) if len(xs) < 2 or xs[1] is None else [int(a) for a in xs[1]]
        if op == "Squeeze":
            return np.squeeze(x, axis=None if axes is None else tuple(axes))
        out = x
        rank = x.ndim + len(axes)
        for a in sorted(a % rank for a in axes):
            out = np.expand_dims(out, a)
        return out
    if op in ("Add", "Sub", "Mul", "Pow", "Equal", "Where", "MatMul"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power,
             "Equal": np.equal, "Where": np.where, "MatMul": np.matmul}[op]
        out = np.asarray(f(*xs))
        return out if op in ("Equal", "Where") else out.astype(x.dtype, copy=False)
    if op == "Div":
        a, b = xs
        if np.issubdtype(a.dtype, np.integer):  # ONNX integer Div truncates toward zero
            return (np.abs(a) // np.abs(b) * np.sign(a) * np.sign(b)).astype(a.dtype)
        return np.asarray(a / b).astype(a.dtype, copy=False)
    unary = {"Neg": np.negative, "Sqrt": np.sqrt, "Cos": np.cos, "Sin": np.sin,
             "Reciprocal": np.reciprocal, "Tanh": np.tanh, "Exp": np.exp,
             "Sigmoid": lambda v: 1 / (1 + np.exp(-v))}
    if op in unary:
        return np.asarray(unary[op](x)).astype(x.dtype, copy=False)
    if op == "ReduceMean":
        axes = at.get("axes", None)
        return np.mean(x, axis=None if axes is None else tuple(axes),
                       keepdims=bool(at.get("keepdims", 1))).astype(x.dtype)
    if op == "Concat":
        return np.concatenate(xs, axis=at["axis"])
    if op == "Reshape":
        shape = [x.shape[i] if s == 0 and not at.get("allowzero", 0) else int(s)
                 for i, s in enumerate(xs[1])]
        return x.reshape(shape)
    if op == "Transpose":
        return np.transpose(x, at.get("perm", None))
    if op == "Slice":
        starts, ends = xs[1], xs[2]
        axes = xs[3] if len(xs) > 3 and xs[3] is not None else range(len(starts))
        steps = xs[4] if len(xs) > 4 and xs[4] is not None else [1] * len(starts)
        index = [slice(None)] * x.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            index[int(a)] = slice(int(s), int(e), int(st))
        return x[tuple(index)]
    if op == "Expand":
        return np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(int(s) for s in xs[1]))).copy()
    if op == "ConstantOfShape":
        value = at.get("value")
        fill = numpy_helper.to_array(value) if value is not None else np.zeros(1, np.float32)
        return np.full(tuple(int(s) for s in x), fill.reshape(-1)[0], dtype=fill.dtype)
    if op == "Trilu":
        k = int(xs[1]) if len(xs) > 1 and xs[1] is not None else 0
        return np.triu(x, k) if at.get("upper", 1) else np.tril(x, k)
    if op == "Softmax":
        e = np.exp(x - x.max(axis=at.get("axis", -1), keepdims=True))
        return e / e.sum(axis=at.get("axis", -1), keepdims=True)
    raise Unsupported(op)


class Graph:
    def __init__(self, proto):
        g = proto.graph
        self.nodes = list(g.node)
        self.values = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        self.producer = {}
        for n in self.nodes:
            for o in n.output:
                self.producer[o] = n
            if n.op_type == "Constant" and n.attribute[0].name == "value":
                self.values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
            elif n.op_type == "Identity" and n.input[0] in self.values:
                # torch.onnx.export deduplicates equal initializers (e.g. all-ones norm gains
                # at initialisation) into one initializer plus Identity nodes
                self.values[n.output[0]] = self.values[n.input[0]]
            elif n.op_type == "Transpose" and n.input[0] in self.values:
                # torch.onnx.export without constant folding: Linear -> MatMul(x, Transpose(W))
                self.values[n.output[0]] = np.transpose(self.values[n.input[0]],
                                                        _attrs(n).get("perm", None))
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

    def evaluate(self, targets, feeds):
        """Evaluate tensors `targets` in numpy from `feeds` (name -> array, overriding whatever
        computes them) and the constants; raises Unsupported for an op it does not implement."""
        need, stack = set(), list(targets)
        while stack:
            name = stack.pop()
            if not name or name in feeds or name in self.values:
                continue
            node = self.producer.get(name)
            if node is None:
                raise ValueError(f"{name} is a graph input that was not fed")
            if id(node) not in need:
                need.add(id(node))
                stack.extend(node.input)
        env = dict(self.values)
        env.update(feeds)
        for node in self.nodes:  # ONNX nodes are stored in topological order
            if id(node) in need:
                outs = _run_node(node, [env[i] if i else None for i in node.input])
                env[node.output[0]] = np.asarray(outs)
        return [env[t] for t in targets]


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


def structural_rope(graph, q_out, scores):
    """The RoPE convention as the q path (q projection -> scores MatMul) spells it: True for
    llama2.c interleaved (a Slice with step 2), False for HF rotate_half (a Neg of the upper
    half), None when neither is seen."""
    found = set()
    seen, queue = set(), [q_out]
    while queue:
        name = queue.pop(0)
        for node, _ in graph.consumers[name]:
            if node is scores or node.op_type in ("Shape", "ConstantOfShape") or id(node) in seen:
                continue
            seen.add(id(node))
            if node.op_type == "Slice" and len(node.input) > 4 and node.input[4]:
                step = graph.const(node.input[4])
                if step is not None and int(np.asarray(step).reshape(-1)[0]) == 2:
                    found.add("interleaved")
            if node.op_type == "Neg":
                found.add("rotate_half")
            queue.extend(node.output)
    if len(found) == 1:
        return found == {"interleaved"}
    return None


def rope_tables_from_graph(graph, hd, max_pos):
    """(cos, sin) [P, hd/2] float32, and where they came from."""
    cos_nodes = [n for n in graph.nodes if n.op_type == "Cos"]
    sin_nodes = [n for n in graph.nodes if n.op_type == "Sin"]
    if cos_nodes and sin_nodes:
        # Computed in the graph from the sequence length: evaluate it at positions 0..P-1.
        ids = np.zeros((1, max_pos), dtype=np.int64)
        cos, sin = graph.evaluate([cos_nodes[0].output[0], sin_nodes[0].output[0]], {"input_ids": ids})
        cos, sin = (t.reshape(-1, t.shape[-1]) for t in (cos, sin))
        assert cos.shape == sin.shape and cos.shape[0] == max_pos, f"RoPE tables {cos.shape}"
        if cos.shape[1] == hd:  # duplicated to the full head width: (freqs, freqs) or interleaved
            if np.array_equal(cos[:, : hd // 2], cos[:, hd // 2:]) and np.array_equal(sin[:, : hd // 2], sin[:, hd // 2:]):
                cos, sin = cos[:, : hd // 2], sin[:, : hd // 2]
            elif np.array_equal(cos[:, 0::2], cos[:, 1::2]) and np.array_equal(sin[:, 0::2], sin[:, 1::2]):
                cos, sin = cos[:, 0::2], sin[:, 0::2]
            else:
                raise ValueError("the graph's RoPE cos/sin are neither (f, f) nor (f0, f0, f1, f1, ...)")
        assert cos.shape[1] == hd // 2, f"RoPE tables {cos.shape}, head_dim {hd}"
        return np.ascontiguousarray(cos, np.float32), np.ascontiguousarray(sin, np.float32), "graph Cos/Sin"
    # Constant [P, hd/2] tables (stories260k initializers, fixtures' folded Constants); cos is the
    # one whose row 0 is all ones.
    tables = [v for v in graph.values.values() if v.ndim == 2 and v.shape[1] == hd // 2
              and v.dtype == np.float32 and v.shape[0] > 1]
    cos = next(t for t in tables if np.allclose(t[0], 1.0))
    sin = next(t for t in tables if np.allclose(t[0], 0.0) and t.shape == cos.shape)
    return cos, sin, "constant tables"


def verify_rope(graph, model, q_mm, k_mm, scores, T=9, seed=0):
    """Run layer 0's q and k projection outputs (random) through the graph's RoPE subgraph up to
    the scores MatMul and compare with models.apply_rope under each convention. Returns
    {convention: max abs error} (None if the numpy evaluator cannot run this graph)."""
    cfg = model.cfg
    H, KV = cfg.num_attention_heads, cfg.num_key_value_heads
    hd = cfg.hidden_size // H
    T = min(T, cfg.max_position_embeddings)
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((1, T, H * hd)).astype(np.float32)
    k = rng.standard_normal((1, T, KV * hd)).astype(np.float32)
    feeds = {"input_ids": np.zeros((1, T), np.int64), q_mm.output[0]: q, k_mm.output[0]: k}
    try:
        gq, gk = graph.evaluate([scores.input[0], scores.input[1]], feeds)
    except Unsupported:
        return None
    cos, sin = model.rope_cos[:T], model.rope_sin[:T]
    tq = torch.tensor(q).view(1, T, H, hd).transpose(1, 2)
    tk = torch.tensor(k).view(1, T, KV, hd).transpose(1, 2)
    errs = {}
    for name, inter in (("interleaved", True), ("rotate_half", False)):
        rq = apply_rope(tq, cos, sin, inter, hd // 2).numpy()
        rk = repeat_kv(apply_rope(tk, cos, sin, inter, hd // 2), H // KV).transpose(-2, -1).numpy()
        err = float(np.abs(gq - rq).max()) if gq.shape == rq.shape else float("inf")
        if gk.shape == rk.shape:
            err = max(err, float(np.abs(gk - rk).max()))
        errs[name] = err
    return errs


def load(path):
    proto = onnx.load(path)
    graph = Graph(proto)
    meta = {p.key: p.value for p in proto.metadata_props}
    dims = json.loads(meta["config"]) if "config" in meta else {}
    side = os.path.join(os.path.dirname(path), "config.json")
    if not dims and os.path.exists(side):
        with open(side) as f:
            dims = json.load(f)
    n_heads = dims.get("n_heads", dims.get("num_attention_heads"))
    if n_heads is None:
        raise ValueError("need the head count: ONNX metadata `config` or config.json beside it")

    emb_node = next(n for n in graph.nodes if n.op_type == "Gather" and n.input[1] == "input_ids"
                    and graph.const(n.input[0]) is not None)
    tok_emb = graph.const(emb_node.input[0])
    vocab, dim = tok_emb.shape
    hd = dim // n_heads
    if dims.get("head_dim") not in (None, hd):
        raise ValueError(f"head_dim {dims['head_dim']} != hidden_size / heads = {hd}: "
                         "models.Llama cannot hold it")
    softmaxes = [n for n in graph.nodes if n.op_type == "Softmax"]
    sd = {"embed_tokens.weight": tok_emb}
    h = emb_node.output[0]
    eps = interleaved = None
    layer0 = None
    for l, softmax in enumerate(softmaxes):
        p = f"blocks.{l}."
        sd[p + "norm1.weight"], eps, xn = rms_norm(graph, h, dim)
        pv = graph.users(softmax.output[0], "MatMul")[0]
        roles = {}
        for mm in const_matmuls(graph, xn):
            target, idx = graph.forward_until(
                mm.output[0], lambda n, i: n.op_type == "MatMul" and graph.weight_input(n) is None)
            role = "v" if target is pv else ("q" if idx == 0 else "k")
            roles[role] = (mm, graph.weight_input(mm)[1], target)
        assert sorted(roles) == ["k", "q", "v"], f"layer {l}: attention projections {sorted(roles)}"
        assert roles["q"][2] is roles["k"][2], f"layer {l}: q and k reach different MatMuls"
        for role in "qkv":
            sd[p + f"attn.{role}_proj.weight"] = roles[role][1].T
        if layer0 is None:
            layer0 = (roles["q"][0], roles["k"][0], roles["q"][2])
            interleaved = structural_rope(graph, roles["q"][0].output[0], roles["q"][2])
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

    max_pos = int(dims.get("max_position_embeddings", dims.get("max_seq_len", 2048)))
    cos, sin, tables_from = rope_tables_from_graph(graph, hd, max_pos)
    theta = float(dims.get("rope_theta", 10000.0))
    cfg = LlamaConfig(
        num_hidden_layers=len(softmaxes), num_attention_heads=n_heads,
        num_key_value_heads=sd["blocks.0.attn.k_proj.weight"].shape[0] // hd, hidden_size=dim,
        intermediate_size=sd["blocks.0.mlp.gate_proj.weight"].shape[0], vocab_size=vocab,
        max_position_embeddings=cos.shape[0], rms_norm_eps=eps, rope_theta=theta,
        tie_word_embeddings=tied,
        bos_token_id=int(meta.get("bos_token_id", dims.get("bos_token_id", 1))),
        rope_interleaved=bool(interleaved))
    model = Llama(cfg)
    state = {k: torch.tensor(np.array(v, dtype=np.float32)) for k, v in sd.items()}
    model.load_state_dict(state)
    ref_cos, ref_sin = rope_tables(hd, cos.shape[0], cfg.rope_theta)
    rope_err = max(float(np.abs(ref_cos.numpy() - cos).max()), float(np.abs(ref_sin.numpy() - sin).max()))
    # Use the graph's own tables (bit-exact with the export); report how far the config's theta is.
    model.rope_cos.copy_(torch.tensor(cos))
    model.rope_sin.copy_(torch.tensor(sin))

    # Verify the convention numerically through the graph's own RoPE subgraph.
    errs = verify_rope(graph, model, *layer0)
    if errs is not None:
        best = min(errs, key=errs.get)
        if errs[best] > 1e-4:
            raise ValueError(f"layer 0 RoPE matches neither convention: max errors {errs}")
        if interleaved is not None and (best == "interleaved") != interleaved:
            raise ValueError(f"RoPE: graph structure says interleaved={interleaved}, numbers {errs}")
        interleaved = best == "interleaved"
        for block in model.blocks:
            block.attn.interleaved = interleaved
        model.cfg.rope_interleaved = interleaved
    elif interleaved is None:
        raise ValueError("RoPE convention: no step-2 Slice or Neg on the q path, and the numpy "
                         "evaluator cannot run this graph to test it")
    model.eval()
    return model, dict(rope_table_max_diff_vs_config_theta=rope_err, rope_theta=theta,
                       rope_interleaved=bool(interleaved), rope_tables=tables_from,
                       rope_check_max_err=errs, tied=tied, eps=eps)
