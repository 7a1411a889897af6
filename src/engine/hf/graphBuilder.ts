/**
 * A DecoderSpec → an ONNX model (opset 17, plain operators) that computes what transformers
 * computes for the checkpoint: input_ids [batch, seq] → logits [batch, seq, vocab], the residual
 * stream a chain of plain Adds the probe matcher follows (graph/decoderLayout.ts): for a sequential
 * block h + Attn(·) then + MLP(·); for a parallel one (GPT-NeoX) (MLP(·) + Attn(·)) + h, as
 * transformers sums it. Every weight is an external initializer pointing at its bytes in the
 * checkpoint's safetensors files, named as the checkpoint names it; nothing is read but the headers.
 */
import { int } from '../graph/editBuilder';
import { DataType } from '../onnx/proto';
import type { DecoderSpec, LayerSpec, NormSpec } from './architectures/decoderSpec';
import type { WeightCatalog } from './architectures/weightCatalog';
import { AttentionOps } from './attentionOps';
import { GraphOps, ONNX_TYPES } from './graphOps';
import { mlp } from './mlpOps';
import { OnnxGraphWriter } from './onnxGraphWriter';
import { roundToType } from './valueRounding';

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
  const attention = new AttentionOps(ops, { positions, length, squareShape: ops.node('Concat', [lengthVector, lengthVector], { axis: int(0) }) });

  graph.scope = 'model.embed';
  let hidden = ops.node('Gather', [ops.weight(spec.tokenEmbedding), ids], { axis: int(0) });
  // Gemma: torch.tensor(sqrt(hidden_size), dtype=the model's dtype), so the factor is that dtype's value.
  if (spec.embeddingScale !== null) hidden = ops.node('Mul', [hidden, ops.scalar(roundToType(spec.embeddingScale, computeType))]);
  if (spec.positionEmbedding) hidden = ops.node('Add', [hidden, ops.node('Gather', [ops.weight(spec.positionEmbedding), positions], { axis: int(0) })]);

  spec.layers.forEach((layer, l) => {
    const branch = (input: string, norm: NormSpec | null, compute: (x: string) => string, outputNorm: NormSpec | null) => {
      const output = compute(norm ? ops.norm(input, norm) : input);
      return outputNorm ? ops.norm(output, outputNorm) : output;
    };
    const attend = (input: string) => {
      graph.scope = `model.layers.${l}.self_attn`;
      return branch(input, layer.attentionNorm, (x) => attention.attend(x, layer.attention), layer.attentionOutputNorm);
    };
    const feedForward = (input: string) => {
      graph.scope = `model.layers.${l}.mlp`;
      return branch(input, layer.mlpNorm, (x) => mlp(ops, x, layer.mlp, spec.hiddenSize), layer.mlpOutputNorm);
    };
    hidden = block(ops, layer, hidden, attend, feedForward, l);
  });

  // The output head reads [batch·seq, hidden] through Gemm with transB, so the [vocab, hidden]
  // matrix (often the embedding itself) is used as stored, never transposed into a copy.
  graph.scope = 'lm_head';
  const flat = ops.node('Reshape', [ops.norm(hidden, spec.finalNorm), graph.int64s([-1, spec.hiddenSize])]);
  let projected = ops.node('Gemm', [flat, ops.weight(spec.lmHead)], { transB: int(1) });
  if (spec.finalSoftcap !== null) {
    const cap = ops.scalar(spec.finalSoftcap);
    projected = ops.node('Mul', [ops.node('Tanh', [ops.node('Div', [projected, cap])]), cap]);
  }
  ops.node('Reshape', [projected, ops.node('Concat', [idsShape, graph.int64s([spec.vocabSize])], { axis: int(0) })], undefined, 'logits');
  graph.output({ name: 'logits', elemType: computeType, shape: ['batch', 'seq', spec.vocabSize] });
  return graph.encode(BUILT_GRAPH_OPSET, metadata);
}

/** The block's residual adds; their outputs are named for the depths they are (hidden/l.5, hidden/l+1). */
function block(ops: GraphOps, layer: LayerSpec, hidden: string, attend: (x: string) => string, feedForward: (x: string) => string, l: number): string {
  if (layer.residual === 'parallel') {
    // x + attn(ln1(x)) + mlp(ln2(x)), summed as transformers' `mlp_output + attn_output + hidden_states`.
    const attention = attend(hidden);
    return ops.node('Add', [ops.node('Add', [feedForward(hidden), attention]), hidden], undefined, `hidden/${l + 1}`);
  }
  const middle = ops.node('Add', [hidden, attend(hidden)], undefined, `hidden/${l}.5`);
  return ops.node('Add', [middle, feedForward(middle)], undefined, `hidden/${l + 1}`);
}
