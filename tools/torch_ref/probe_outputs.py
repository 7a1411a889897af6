#!/usr/bin/python3
"""Expose the tensors Sink Lens analyses as extra graph outputs (found by structure), so that
check_exports.mjs can compare onnxruntime's intermediate values with the PyTorch reference.

    /usr/bin/python3 tools/torch_ref/probe_outputs.py IN.onnx OUT.onnx   # prints the output names

A cross-check of the structure that torch.onnx.export gives these fixtures (and stories260k), not
the engine: residual stream = token-embedding Gather (plus the learned-position Add for GPT-2),
then per layer two Adds whose inputs are both computed (bias/eps Adds have a constant input);
attention = the Softmax nodes in graph order; MLP activation = input 0 of the constant-weight
MatMul that feeds (through an optional bias Add) the MLP residual Add.
"""
import json
import sys

import onnx
from onnx import helper, numpy_helper


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
    depths, acts = [h], []
    softmaxes = [n.output[0] for n in g.node if n.op_type == "Softmax"]
    for _ in softmaxes:
        for half in range(2):
            (add,) = [n for n in users(h) if dynamic_add(n)]
            branch = producer[next(i for i in add.input if i != h)]
            if half == 1:  # MLP: skip an optional bias Add back to the down-projection MatMul
                if branch.op_type == "Add":
                    branch = producer[next(i for i in branch.input if i not in consts)]
                assert branch.op_type == "MatMul" and branch.input[1] in consts, branch
                acts.append(branch.input[0])
            h = add.output[0]
            depths.append(h)
    names = dict(hidden=depths, attn=softmaxes, mlp_act=acts)
    for name in depths + softmaxes + acts:
        g.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    onnx.save(proto, dst)
    print(json.dumps(names))


if __name__ == "__main__":
    main(*sys.argv[1:3])
