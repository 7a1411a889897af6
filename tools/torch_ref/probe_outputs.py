#!/usr/bin/python3
"""Expose the tensors Sink Lens analyses as extra graph outputs (found by structure), so that
check_exports.mjs can compare onnxruntime's intermediate values with the PyTorch reference.

    /usr/bin/python3 tools/torch_ref/probe_outputs.py IN.onnx OUT.onnx   # prints the output names

A cross-check of the structure that torch.onnx.export gives these fixtures (and stories260k), not
the engine: residual stream = token-embedding Gather (plus the learned-position Add for GPT-2,
or Gemma's constant scale Mul), then per layer two Adds whose inputs are both computed (bias/eps Adds
have a constant input); attention = the Softmax nodes that feed a MatMul, in graph order (a MoE
router's Softmax feeds TopK); MLP activation = input 0 of the first constant-weight MatMul met
walking back from the MLP residual Add (through a bias Add or a post-norm), null for a MoE block.
"""
import json
import sys

import onnx
from onnx import helper, numpy_helper


def mlp_activation(branch, h, producer, consts):
    """Input 0 of the down-projection: the first constant-weight MatMul met walking back from the
    residual branch (past a bias Add or Gemma 2's post-feedforward norm). None for a
    mixture-of-experts block (a TopK between h and the branch): it has no single activation."""
    seen, queue, down = set(), [branch], None
    while queue:
        name = queue.pop(0)
        if name in seen or name in consts or name == h or name not in producer:
            continue
        seen.add(name)
        node = producer[name]
        if node.op_type == "TopK":
            return None
        if node.op_type == "Shape":  # shape arithmetic may reach back past h
            continue
        if down is None and node.op_type == "MatMul" and node.input[1] in consts:
            down = node.input[0]
        queue.extend(node.input)
    assert down is not None, branch
    return down


def main(src, dst):
    proto = onnx.load(src)
    g = proto.graph
    consts = {i.name for i in g.initializer} | {n.output[0] for n in g.node if n.op_type == "Constant"}
    producer = {o: n for n in g.node for o in n.output}
    users = lambda name: [n for n in g.node if name in n.input]
    dynamic_add = lambda n: n.op_type == "Add" and not any(i in consts for i in n.input)

    tok = next(n for n in g.node if n.op_type == "Gather" and n.input[1] == "input_ids")
    h = tok.output[0]
    pos = [n for n in users(h) if dynamic_add(n)
           and producer.get(next(i for i in n.input if i != h)).op_type == "Gather"]
    if pos:  # GPT-2: h[0] = wte(ids) + wpe(positions)
        h = pos[0].output[0]
    scale = [n for n in users(h) if n.op_type == "Mul" and any(i in consts for i in n.input)]
    if scale:  # Gemma: h[0] = embedding * sqrt(hidden_size)
        h = scale[0].output[0]
    depths, acts = [h], []
    # Attention Softmaxes feed probs @ v; a mixture-of-experts router's Softmax feeds TopK.
    softmaxes = [n.output[0] for n in g.node if n.op_type == "Softmax"
                 and any(u.op_type == "MatMul" for u in users(n.output[0]))]
    for _ in softmaxes:
        for half in range(2):
            # HF norms' x.to(float32) is a no-op Cast that the residual Add may read instead of h.
            same = [h] + [n.output[0] for n in users(h) if n.op_type in ("Cast", "Identity")]
            (add,) = [n for n in g.node if dynamic_add(n) and any(s in n.input for s in same)]
            branch = next(i for i in add.input if i not in same)
            if half == 1:
                acts.append(mlp_activation(branch, h, producer, consts))
            h = add.output[0]
            depths.append(h)
    names = dict(hidden=depths, attn=softmaxes, mlp_act=acts)
    for name in depths + softmaxes + [a for a in acts if a]:
        g.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    onnx.save(proto, dst)
    print(json.dumps(names))


if __name__ == "__main__":
    main(*sys.argv[1:3])
