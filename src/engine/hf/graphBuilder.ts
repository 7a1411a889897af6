/**
 * A DecoderSpec → an ONNX model (opset 17, plain operators) that computes what transformers
 * computes for the checkpoint: input_ids [batch, seq] → logits [batch, seq, vocab], the residual
 * stream a chain of plain Adds the probe matcher follows (graph/decoderLayout.ts). Every weight is
 * an external initializer pointing at its bytes in the checkpoint's safetensors files, named as
 * the checkpoint names it; nothing is read but the headers.
 */
import { int } from '../graph/editBuilder';
import { DataType } from '../onnx/proto';
import type { DecoderSpec } from './architectures/decoderSpec';
import type { WeightCatalog } from './architectures/weightCatalog';
import { AttentionOps } from './attentionOps';
import { GraphOps, ONNX_TYPES } from './graphOps';
import { OnnxGraphWriter } from './onnxGraphWriter';

export const BUILT_GRAPH_OPSET = 17;

export function buildDecoderGraph(spec: DecoderSpec, weights: WeightCatalog, metadata: Record<string, string>): Uint8Array {
  const graph = new OnnxGraphWriter();
  const computeType = ONNX_TYPES[weights.tensor(spec.tokenEmbedding).dtype];
  const ops = new GraphOps(graph, weights, computeType);

  graph.scope = 'model';
  const ids = graph.input({ name: 'input_ids', elemType: DataType.Int64, shape: ['batch', 'seq'] });
  const idsShape = ops.node('Shape', [ids]);
  const length = ops.node('Gather', [idsShape, graph.int64s([1], [])], { axis: int(0) });
  const positions = ops.node('Range', [graph.int64s([0], []), length, graph.int64s([1], [])]);
  const lengthVector = ops.node('Unsqueeze', [length, graph.int64s([0])]);
  const attention = new AttentionOps(ops, positions, ops.node('Concat', [lengthVector, lengthVector], { axis: int(0) }));

  graph.scope = 'model.embed';
  let hidden = ops.node('Gather', [ops.weight(spec.tokenEmbedding), ids], { axis: int(0) });
  if (spec.positionEmbedding) hidden = ops.node('Add', [hidden, ops.node('Gather', [ops.weight(spec.positionEmbedding), positions], { axis: int(0) })]);

  spec.layers.forEach((layer, l) => {
    graph.scope = `model.layers.${l}.self_attn`;
    hidden = ops.node('Add', [hidden, attention.attend(ops.norm(hidden, layer.attentionNorm), layer.attention)], undefined, `hidden/${l}.5`);
    graph.scope = `model.layers.${l}.mlp`;
    const mlp = layer.mlp;
    const input = ops.norm(hidden, layer.mlpNorm);
    const activation =
      mlp.kind === 'gated'
        ? ops.node('Mul', [ops.activation(ops.linear(input, mlp.gate), mlp.activation), ops.linear(input, mlp.up)])
        : ops.activation(ops.linear(input, mlp.up), mlp.activation);
    hidden = ops.node('Add', [hidden, ops.linear(activation, mlp.down)], undefined, `hidden/${l + 1}`);
  });

  // The output head reads [batch·seq, hidden] through Gemm with transB, so the [vocab, hidden]
  // matrix (often the embedding itself) is used as stored, never transposed into a copy.
  graph.scope = 'lm_head';
  const flat = ops.node('Reshape', [ops.norm(hidden, spec.finalNorm), graph.int64s([-1, spec.hiddenSize])]);
  const projected = ops.node('Gemm', [flat, ops.weight(spec.lmHead)], { transB: int(1) });
  ops.node('Reshape', [projected, ops.node('Concat', [idsShape, graph.int64s([spec.vocabSize])], { axis: int(0) })], undefined, 'logits');
  graph.output({ name: 'logits', elemType: computeType, shape: ['batch', 'seq', spec.vocabSize] });
  return graph.encode(BUILT_GRAPH_OPSET, metadata);
}
