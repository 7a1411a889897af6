/**
 * The MLP kinds of decoderSpec.ts as ONNX nodes. The down-projection's input is the MLP activation
 * the probes measure (graph/decoderLayout.ts finds it by structure). A mixture of experts is
 * dispatched as transformers' Qwen3MoeSparseMoeBlock dispatches it: each expert runs only on the
 * tokens routed to it (NonZero → Gather), and its weighted output is added into the layer's output
 * (ScatterND, reduction add) expert by expert, in expert order, as index_add_ does.
 */
import { int, ints, text } from '../graph/editBuilder';
import { DataType } from '../onnx/proto';
import type { GatedMlpSpec, MlpSpec } from './architectures/decoderSpec';
import type { GraphOps } from './graphOps';

export function mlp(ops: GraphOps, input: string, spec: MlpSpec, hiddenSize: number): string {
  switch (spec.kind) {
    case 'gated':
      return gated(ops, input, spec);
    case 'gated-fused': {
      const [gate, up] = ops.graph.nodeWithOutputs('Split', [ops.linear(input, spec.gateUp), ops.graph.int64s([spec.width, spec.width])], 2, { axis: int(-1) });
      return ops.linear(ops.node('Mul', [up, ops.activation(gate, spec.activation)]), spec.down);
    }
    case 'plain':
      return ops.linear(ops.activation(ops.linear(input, spec.up), spec.activation), spec.down);
    case 'moe':
      return mixtureOfExperts(ops, input, spec, hiddenSize);
  }
}

function gated(ops: GraphOps, input: string, spec: GatedMlpSpec): string {
  return ops.linear(ops.node('Mul', [ops.activation(ops.linear(input, spec.gate), spec.activation), ops.linear(input, spec.up)]), spec.down);
}

function mixtureOfExperts(ops: GraphOps, input: string, spec: Extract<MlpSpec, { kind: 'moe' }>, hiddenSize: number): string {
  const { graph } = ops;
  const tokens = ops.node('Reshape', [input, graph.int64s([-1, hiddenSize])]);
  // F.softmax(router_logits, dim=1, dtype=torch.float), topk, renormalised, back to the hidden states' type.
  const probabilities = ops.node('Softmax', [ops.toFloat(ops.linear(tokens, spec.router))], { axis: int(-1) });
  const [top, chosen] = graph.nodeWithOutputs('TopK', [probabilities, graph.int64s([spec.topK])], 2, { axis: int(-1), largest: int(1), sorted: int(1) });
  const weights = ops.toCompute(spec.normalizeTopK ? ops.node('Div', [top, ops.node('ReduceSum', [top, graph.int64s([-1])], { keepdims: int(1) })]) : top);
  let output = ops.toCompute(ops.node('ConstantOfShape', [ops.node('Shape', [tokens])])); // float32 zeros (its default value)
  spec.experts.forEach((expert, e) => {
    const hit = ops.node('Equal', [chosen, graph.int64s([e], [])]);
    const hitValue = ops.node('Cast', [hit], { to: int(DataType.Float) });
    const routed = ops.node('Cast', [ops.node('ReduceMax', [hitValue], { axes: ints([-1]), keepdims: int(0) })], { to: int(DataType.Bool) });
    const rows = ops.node('Transpose', [ops.node('NonZero', [routed])], { perm: ints([1, 0]) });
    const flatRows = ops.node('Reshape', [rows, graph.int64s([-1])]);
    const weight = ops.node('ReduceSum', [ops.node('Mul', [weights, ops.toCompute(hitValue)]), graph.int64s([-1])], { keepdims: int(1) });
    const contribution = ops.node('Mul', [gated(ops, ops.node('Gather', [tokens, flatRows], { axis: int(0) }), expert), ops.node('Gather', [weight, flatRows], { axis: int(0) })]);
    output = ops.node('ScatterND', [output, rows, contribution], { reduction: text('add') });
  });
  return ops.node('Reshape', [output, ops.node('Shape', [input])]);
}
