/**
 * Finds a decoder's structure by following its residual stream, never by tensor names: from the
 * token embedding, each block is an attention residual step (its branch holds a Softmax over Q·Kᵀ,
 * or a fused attention operator) followed by an MLP residual step (its branch ends in the
 * down-projection). A residual step is a plain Add, or a fused SkipLayerNormalization /
 * SkipSimplifiedLayerNormalization whose optional output 3 is the sum.
 */
import { UnsupportedGraphError } from '../errors';
import type { OnnxGraph, OnnxNode, TensorHeader } from '../onnx/proto';
import { GraphIndex } from './graphIndex';

export type AttentionSource =
  /** The probabilities are a Softmax output in the graph. */
  | { kind: 'softmax'; probabilities: string }
  /** A fused operator hides them; they are recomputed from its inputs (graph/attentionRecompute.ts). */
  | { kind: 'fused'; node: OnnxNode };

export interface DecoderLayer {
  attention: AttentionSource;
  /** The merged heads [batch, T, heads·headSize] entering the output projection, and that projection. */
  attentionOutput: { tensor: string; projection: OnnxNode };
  /** The input of the MLP's down-projection [batch, T, intermediate]; null for a mixture of experts. */
  mlpActivation: string | null;
  /** Output widths of the weight MatMuls that project the attention input (q, k, v or fused). */
  projectionWidths: number[];
}

export interface DecoderLayout {
  graph: GraphIndex;
  idsInput: string;
  embeddingTable: TensorHeader | null;
  /** Residual-stream tensors at depths 0, 0.5, 1, …, L (2L + 1 names). */
  residuals: string[];
  /**
   * For each residual tensor, the tensors that stand for it downstream: itself, and the normalised
   * output a fused norm computes alongside it. The next block starts from these.
   */
  residualAliases: string[][];
  /** Whether h[0] adds a learned position embedding (GPT-2 style) to the token embedding. */
  learnedPositions: boolean;
  layers: DecoderLayer[];
  /** Fused nodes whose optional outputs must be exposed (node index → full output list). */
  exposedOutputs: Map<number, string[]>;
}

interface StreamPoint {
  tensor: string;
  aliases: string[];
}

const SKIP_NORMS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);
const FUSED_ATTENTION = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention']);

/** Exporter operators that Sink Lens cannot see into. */
const UNSUPPORTED_OPERATORS = new Set([
  'PackedAttention',
  'PackedMultiHeadAttention',
  'SparseAttention',
  'PagedAttention',
  'DecoderMaskedMultiHeadAttention',
  'DecoderMaskedSelfAttention',
  'LongformerAttention',
  'QAttention',
  'QOrderedAttention',
]);

const PASS_THROUGH = new Set(['Cast', 'Identity', 'Dropout']);
const WEIGHT_MATMULS = new Set(['MatMul', 'Gemm', 'MatMulNBits', 'MatMulInteger', 'FusedMatMul']);

export function findDecoderLayout(graph: OnnxGraph): DecoderLayout {
  const unsupported = graph.nodes.find((node) => UNSUPPORTED_OPERATORS.has(node.opType));
  if (unsupported) {
    throw new UnsupportedGraphError(`operator ${qualifiedOp(unsupported)} at node '${unsupported.name || unsupported.outputs[0]}' is not supported; export the model without it`);
  }
  const index = new GraphIndex(graph);
  const exposedOutputs = new Map<number, string[]>();
  const expose = (node: OnnxNode, position: number): string => {
    const outputs = exposedOutputs.get(node.index) ?? [...node.outputs];
    if (!outputs[position]) {
      while (outputs.length <= position) outputs.push('');
      outputs[position] = `sinklens/exposed/${node.index}/${position}`;
      exposedOutputs.set(node.index, outputs);
    }
    return outputs[position];
  };

  const idsInput = findIdsInput(graph);
  const embedding = findTokenEmbedding(index, idsInput);
  const start = embedding.opType === 'EmbedLayerNormalization' ? embedLayerNormStart(embedding, expose) : findStreamStart(index, embedding.outputs[0]);
  const points: StreamPoint[] = [start.point];
  const layers: DecoderLayer[] = [];

  for (let step = residualStep(index, points[0], expose); step; step = residualStep(index, points[points.length - 1], expose)) {
    const current = points[points.length - 1];
    const streamTensors = withCasts(index, current.aliases);
    const body = index.nodesBetween(new Set(streamTensors), step.branch);
    const softmaxes = body.filter((node) => node.opType === 'Softmax');
    const fused = body.filter((node) => FUSED_ATTENTION.has(node.opType));
    const expectAttention = points.length % 2 === 1;
    const where = `node '${step.node.name || step.node.outputs[0]}'`;
    if (expectAttention) {
      let attention: AttentionSource;
      if (softmaxes.length === 1 && fused.length === 0) attention = { kind: 'softmax', probabilities: softmaxes[0].outputs[0] };
      else if (fused.length === 1 && softmaxes.length === 0) attention = { kind: 'fused', node: fused[0] };
      else {
        throw new UnsupportedGraphError(
          `expected one Softmax or one fused attention operator in the attention branch of layer ${layers.length}, found ${softmaxes.length} Softmax and ${fused.length} fused (residual step at ${where})`,
        );
      }
      const projection = lastProjection(index, body, step.branch, `layer ${layers.length}'s attention output projection`);
      layers.push({
        attention,
        attentionOutput: { tensor: projection.inputs.find((input) => !index.isStatic(input))!, projection },
        mlpActivation: '',
        projectionWidths: projectionWidths(index, body, streamTensors),
      });
    } else {
      if (fused.length > 0) {
        throw new UnsupportedGraphError(`expected an MLP branch after the attention of layer ${layers.length - 1}, found ${qualifiedOp(fused[0])} at node '${fused[0].name}'`);
      }
      // A Softmax in the MLP branch is a mixture-of-experts router: there is no single MLP activation.
      const layer = layers[layers.length - 1];
      layer.mlpActivation = softmaxes.length > 0 ? null : lastProjection(index, body, step.branch, `the MLP down-projection of layer ${layers.length - 1}`).inputs.find((input) => !index.isStatic(input))!;
    }
    points.push(step.next);
  }

  if (layers.length === 0) {
    throw new UnsupportedGraphError(
      `expected residual blocks after the token embedding, found none after tensor '${points[0].tensor}' (is this a decoder-only language model?)`,
    );
  }
  if (points.length % 2 === 0) {
    throw new UnsupportedGraphError(
      `expected an MLP residual step after the attention of layer ${layers.length - 1}, found none (parallel attention+MLP blocks are not supported yet)`,
    );
  }
  const tableName = embedding.opType === 'EmbedLayerNormalization' ? embedding.inputs[2] : embedding.inputs[0];
  return {
    graph: index,
    idsInput,
    embeddingTable: weightBehind(index, tableName),
    residuals: points.map((point) => point.tensor),
    residualAliases: points.map((point) => point.aliases),
    learnedPositions: start.learnedPositions,
    layers,
    exposedOutputs,
  };
}

/** The initializer a tensor is, or is a Cast / Identity of (weights stored in bfloat16 and cast to float32). */
function weightBehind(index: GraphIndex, tensor: string): TensorHeader | null {
  let current = tensor;
  for (let producer = index.producer.get(current); producer && PASS_THROUGH.has(producer.opType); producer = index.producer.get(current)) current = producer.inputs[0];
  return index.graph.initializers.get(current) ?? null;
}

function qualifiedOp(node: OnnxNode): string {
  return node.domain ? `${node.domain}.${node.opType}` : node.opType;
}

function findIdsInput(graph: OnnxGraph): string {
  const inputs = graph.inputs.filter((input) => !graph.initializers.has(input.name));
  const named = inputs.find((input) => input.name === 'input_ids');
  if (named) return named.name;
  const integer = inputs.find((input) => input.elemType === 7 || input.elemType === 6);
  if (integer) return integer.name;
  throw new UnsupportedGraphError(
    `expected an integer token-id input, found inputs ${inputs.map((input) => `'${input.name}'`).join(', ') || '(none)'}`,
  );
}

/** The Gather of a weight table by the ids, or a fused EmbedLayerNormalization of them. */
function findTokenEmbedding(index: GraphIndex, idsInput: string): OnnxNode {
  const frontier = [idsInput];
  const seen = new Set<string>();
  while (frontier.length > 0) {
    const tensor = frontier.shift()!;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    for (const node of index.consumersOf(tensor)) {
      if (node.opType === 'Gather' && node.inputs[1] === tensor && index.isStatic(node.inputs[0])) return node;
      if (node.opType === 'EmbedLayerNormalization' && node.inputs[0] === tensor) return node;
      if (PASS_THROUGH.has(node.opType) || node.opType === 'Reshape' || node.opType === 'Unsqueeze') frontier.push(node.outputs[0]);
    }
  }
  throw new UnsupportedGraphError(
    `expected a token-embedding Gather of a weight table by '${idsInput}', found consumers ${describeConsumers(index, idsInput)}`,
  );
}

/** EmbedLayerNormalization: output 2 is the embedding sum (h[0]), output 0 its normalisation. */
function embedLayerNormStart(node: OnnxNode, expose: (node: OnnxNode, position: number) => string) {
  const sum = expose(node, 2);
  return { point: { tensor: sum, aliases: [sum, node.outputs[0]] }, learnedPositions: Boolean(node.inputs[3]) };
}

/** h[0]: the embedding output after any position embedding or scaling, where the first block starts. */
function findStreamStart(index: GraphIndex, embeddingOutput: string) {
  let tensor = embeddingOutput;
  let learnedPositions = false;
  const noExpose = () => '';
  for (let step = 0; step < 8; step++) {
    const point = { tensor, aliases: [tensor] };
    if (residualStep(index, point, noExpose, true)) return { point, learnedPositions };
    const next = index.consumersOf(tensor).find((node) => ['Add', 'Mul', 'Div', ...PASS_THROUGH].includes(node.opType));
    if (!next) break;
    // An Add of something computed at run time (not a constant) is a position-embedding lookup.
    if (next.opType === 'Add' && next.inputs.every((input) => !index.isStatic(input))) learnedPositions = true;
    tensor = next.outputs[0];
  }
  throw new UnsupportedGraphError(
    `expected the first block's residual Add after the token embedding, found consumers ${describeConsumers(index, tensor)} of '${tensor}'`,
  );
}

/**
 * The tensors plus every Cast / Identity of them: exporters of Hugging Face models record
 * `x.to(torch.float32)` as a Cast even when x is already float32, and later blocks read the cast.
 */
function withCasts(index: GraphIndex, tensors: string[]): string[] {
  const all = [...tensors];
  for (let i = 0; i < all.length; i++) {
    for (const node of index.consumersOf(all[i])) {
      if (PASS_THROUGH.has(node.opType) && node.outputs[0] && !all.includes(node.outputs[0])) all.push(node.outputs[0]);
    }
  }
  return all;
}

interface ResidualStep {
  node: OnnxNode;
  branch: string;
  next: StreamPoint;
}

/**
 * The node that closes a residual branch opened at `point`: one operand is the stream itself, the
 * other is computed from it (or from its aliases).
 */
function residualStep(index: GraphIndex, point: StreamPoint, expose: (node: OnnxNode, position: number) => string, probeOnly = false): ResidualStep | null {
  const sameValue = withCasts(index, [point.tensor]);
  const aliases = new Set(withCasts(index, point.aliases));
  for (const node of sameValue.flatMap((tensor) => index.consumersOf(tensor))) {
    const isAdd = node.opType === 'Add' && node.inputs.length === 2;
    const isSkip = SKIP_NORMS.has(node.opType);
    if (!isAdd && !isSkip) continue;
    const position = node.inputs.findIndex((input) => sameValue.includes(input));
    if (position > 1) continue;
    const branch = node.inputs[1 - position];
    if (!branch || sameValue.includes(branch) || index.isStatic(branch) || !index.dependsOn(branch, aliases)) continue;
    if (probeOnly) return { node, branch, next: point };
    if (isAdd) return { node, branch, next: { tensor: node.outputs[0], aliases: [node.outputs[0]] } };
    const sum = expose(node, 3);
    return { node, branch, next: { tensor: sum, aliases: [sum, node.outputs[0]] } };
  }
  return null;
}

function isWeightMatMul(index: GraphIndex, node: OnnxNode): boolean {
  return WEIGHT_MATMULS.has(node.opType) && node.inputs.slice(0, 2).some((input) => index.isStatic(input));
}

/**
 * The weight MatMul closest to the end of a residual branch: the output or down-projection. Found
 * by walking back from the branch output, so norms after it (Gemma 2's sandwich norms), bias Adds
 * and casts are passed over.
 */
function lastProjection(index: GraphIndex, body: OnnxNode[], branch: string, what: string): OnnxNode {
  const inBody = new Set(body);
  const queue = [branch];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const tensor = queue.shift()!;
    if (seen.has(tensor) || index.isStatic(tensor)) continue;
    seen.add(tensor);
    const node = index.producer.get(tensor);
    if (!node || !inBody.has(node)) continue;
    if (isWeightMatMul(index, node)) return node;
    queue.push(...node.inputs.filter(Boolean));
  }
  throw new UnsupportedGraphError(`expected ${what} (a MatMul with a weight) in the branch ending at '${branch}', found none`);
}

function projectionWidths(index: GraphIndex, body: OnnxNode[], streamAliases: string[]): number[] {
  const widths: number[] = [];
  for (const node of body) {
    if (!isWeightMatMul(index, node)) continue;
    // The output projection consumes the attention result, not the normalised stream.
    const dynamic = node.inputs.find((input) => !index.isStatic(input));
    if (!dynamic || !fedByStreamThroughNorm(index, dynamic, new Set(streamAliases))) continue;
    const weight = index.graph.initializers.get(node.inputs.find((input) => index.isStatic(input))!);
    const width = weight?.dims[weight.dims.length - 1];
    if (width) widths.push(node.opType === 'Gemm' && node.attributes.get('transB')?.i === 1n ? weight.dims[0] : width);
  }
  return widths;
}

/** True when `tensor` is the normalised stream: computed from it without any MatMul or attention in between. */
function fedByStreamThroughNorm(index: GraphIndex, tensor: string, stream: ReadonlySet<string>): boolean {
  const stack = [tensor];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (stream.has(current)) return true;
    if (seen.has(current) || index.isStatic(current)) continue;
    seen.add(current);
    const node = index.producer.get(current);
    if (!node || WEIGHT_MATMULS.has(node.opType) || node.opType === 'Softmax' || FUSED_ATTENTION.has(node.opType)) continue;
    for (const input of node.inputs) if (input) stack.push(input);
  }
  return false;
}

function describeConsumers(index: GraphIndex, tensor: string): string {
  const consumers = index.consumersOf(tensor);
  if (consumers.length === 0) return '(none)';
  return consumers.map((node) => `${qualifiedOp(node)} '${node.name}'`).join(', ');
}
