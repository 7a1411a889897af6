#!/usr/bin/python3
"""Slice a fused GPT-2 export's last block to the last token, as onnxruntime's greedy-search
`init_decoder` does (onnxruntime/python/tools/transformers/convert_generation.py,
generate_gpt2_init_decoder): only the last logits are needed, so the last attention output is
sliced before its projection and the residual stream before the residual add, both with Slice
(starts -1, ends -2, axes 1, steps -1, int32). The last block's attention still covers every
query; depths L - 0.5 and L then exist only at the last position, and logits are [batch, 1, V].

    /usr/bin/python3 tools/torch_ref/init_decoder.py IN.onnx OUT.onnx

For graphs whose residual steps are SkipLayerNormalization (their output 3 the sum) or Add, with a
com.microsoft Attention per layer (the onnxruntime transformer optimizer's GPT-2, e.g.
../shared/models/onnx-exports/tiny-random-gpt2-fp32/past.onnx). Found by structure: the last
Attention node, the MatMul that projects its output, and the residual node that adds that
projection (through an optional bias Add) to the stream.
"""
import sys

import onnx
from onnx import TensorProto, helper

def consumers(graph, name):
    return [n for n in graph.node if name in n.input]


def slice_last_token(graph, tensor, tag):
    """A Slice node keeping the last position of `tensor` (axis 1), as convert_generation writes it."""
    out = f"edge_modified_{tensor}"
    graph.node.append(helper.make_node("Slice", [tensor] + [f"SliceLastToken{p}" for p in ("Starts", "Ends", "Axes", "Steps")],
                                       [out], name=f"GatherLastToken_{tag}"))
    return out


def residual_step(graph, projected):
    """The node that adds the projection (past a bias Add) to the stream, and the stream tensor it reads."""
    weights = {t.name for t in graph.initializer}
    tensor = projected
    while True:
        (node,) = consumers(graph, tensor)
        if node.op_type == "Add" and any(i in weights for i in node.input):
            tensor = node.output[0]  # the projection's bias
            continue
        assert node.op_type in ("SkipLayerNormalization", "Add"), node.op_type
        return node, next(i for i in node.input[:2] if i != tensor)


def topological(nodes):
    """Kahn's order: the appended Slices before the nodes that read them."""
    produced_by = {o: n for n in nodes for o in n.output if o}
    pending = {id(n): sum(1 for i in n.input if i in produced_by) for n in nodes}
    readers = {}
    for n in nodes:
        for i in n.input:
            if i in produced_by:
                readers.setdefault(i, []).append(n)
    ready = [n for n in nodes if pending[id(n)] == 0]
    ordered = []
    while ready:
        node = ready.pop(0)
        ordered.append(node)
        for o in node.output:
            for reader in readers.get(o, []):
                pending[id(reader)] -= 1
                if pending[id(reader)] == 0:
                    ready.append(reader)
    assert len(ordered) == len(nodes), "the graph has a cycle"
    return ordered


def main(src, dst):
    model = onnx.load(src)
    graph = model.graph
    attention = [n for n in graph.node if n.op_type == "Attention" and n.domain == "com.microsoft"][-1]
    (projection,) = [n for n in consumers(graph, attention.output[0]) if n.op_type == "MatMul"]
    residual, stream = residual_step(graph, projection.output[0])
    for name, value in (("Starts", -1), ("Ends", -2), ("Axes", 1), ("Steps", -1)):
        graph.initializer.append(helper.make_tensor(f"SliceLastToken{name}", TensorProto.INT32, [1], [value]))
    sliced_attention = slice_last_token(graph, attention.output[0], 0)
    sliced_stream = slice_last_token(graph, stream, 1)
    projection.input[list(projection.input).index(attention.output[0])] = sliced_attention
    residual.input[list(residual.input).index(stream)] = sliced_stream
    for output in graph.output:  # logits now cover the last position only
        if output.name == "logits":
            output.type.tensor_type.shape.dim[1].dim_value = 1
    nodes = topological(list(graph.node))
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
