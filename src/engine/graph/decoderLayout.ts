/**
 * Finds a decoder's structure by following its residual stream, never by tensor names: from the
 * token embedding, each block is an attention residual step (its branch holds a Softmax over Q·Kᵀ,
 * or a fused attention operator) followed by an MLP residual step (its branch ends in the
 * down-projection). A residual step is a plain Add, or a fused SkipLayerNormalization /
 * SkipSimplifiedLayerNormalization whose optional output 3 is the sum; its stream operand may be
 * a slice of the stream's positions (a last block sliced to the last token), which the layout
 * records per depth. Ranks the probes rely on are checked against what the graph proves
 * (tensorShapes.ts), and each projection's [batch, T, width] input is recorded with the node that
 * reads it (projectionInput.ts), never assumed.
 */
import { UnsupportedGraphError } from '../errors';
import type { OnnxGraph, OnnxNode, TensorHeader } from '../onnx/proto';
import { GraphIndex } from './graphIndex';
import { projectionInput } from './projectionInput';
import { chainSelections, PositionSelection, tokenSelectionAt } from './streamPositions';
import { embedLayerNormStart, findIdsInput, findStreamStart, findTokenEmbedding, PASS_THROUGH, qualifiedOp, StreamPoint, withCasts } from './streamStart';
import { TensorShapes } from './tensorShapes';

export type AttentionSource =
  /** The probabilities are a Softmax output in the graph. */
  | { kind: 'softmax'; probabilities: string }
  /** A fused operator hides them; they are recomputed from its inputs (graph/attentionRecompute.ts). */
  | { kind: 'fused'; node: OnnxNode };

export interface DecoderLayer {
  attention: AttentionSource;
  /**
   * The merged heads [batch, T, heads·headSize] the output projection reads, that projection, and
   * the node that reads the merged heads: the projection itself ('direct'), or the Reshape that
   * flattens them to [batch·T, heads·headSize] for a 2-D Gemm ('flattened').
   */
  attentionOutput: { tensor: string; projection: OnnxNode; reader: OnnxNode; form: 'direct' | 'flattened' };
  /** The input of the MLP's down-projection [batch, T, intermediate] (before any flattening Reshape); null for a mixture of experts. */
  mlpActivation: string | null;
  /** Output widths of the weight MatMuls that project the attention input (q, k, v or fused). */
  projectionWidths: number[];
}

export interface DecoderLayout {
  graph: GraphIndex;
  /** What the graph proves about tensor shapes; edits check the ranks they rely on here. */
  shapes: TensorShapes;
  idsInput: string;
  embeddingTable: TensorHeader | null;
  /** Residual-stream tensors at depths 0, 0.5, 1, …, L (2L + 1 names). */
  residuals: string[];
  /**
   * For each residual tensor, the tensors that stand for it downstream: itself, and the normalised
   * output a fused norm computes alongside it. The next block starts from these.
   */
  residualAliases: string[][];
  /** For each residual tensor, the token positions it holds: null for all of them, or a selection (graph/streamPositions.ts). */
  residualPositions: (PositionSelection | null)[];
  /** Whether h[0] adds a learned position embedding (GPT-2 style) to the token embedding. */
  learnedPositions: boolean;
  layers: DecoderLayer[];
  /** Attention heads where the graph shows them (the probabilities' head axis, a fused operator's attribute); null otherwise. */
  heads: number | null;
  /** Fused nodes whose optional outputs must be exposed (node index → full output list). */
  exposedOutputs: Map<number, string[]>;
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

const WEIGHT_MATMULS = new Set(['MatMul', 'Gemm', 'MatMulNBits', 'MatMulInteger', 'FusedMatMul']);

export function findDecoderLayout(graph: OnnxGraph): DecoderLayout {
  const unsupported = graph.nodes.find((node) => UNSUPPORTED_OPERATORS.has(node.opType));
  if (unsupported) {
    throw new UnsupportedGraphError(`operator ${qualifiedOp(unsupported)} at node '${unsupported.name || unsupported.outputs[0]}' is not supported; export the model without it`);
  }
  const index = new GraphIndex(graph);
  const shapes = new TensorShapes(index);
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

  const idsInput = findIdsInput(graph, index);
  const embedding = findTokenEmbedding(index, idsInput);
  const start =
    embedding.opType === 'EmbedLayerNormalization'
      ? embedLayerNormStart(embedding, expose)
      : findStreamStart(index, embedding.outputs[0], (point) => residualStep(index, shapes, point, () => '', true) !== null);
  const points: StreamPoint[] = [start.point];
  const positions: (PositionSelection | null)[] = [null];
  const layers: DecoderLayer[] = [];

  for (let step = residualStep(index, shapes, points[0], expose); step; step = residualStep(index, shapes, points[points.length - 1], expose)) {
    const current = points[points.length - 1];
    const streamTensors = withCasts(index, current.aliases);
    const body = index.nodesBetween(new Set(streamTensors), step.branch);
    const softmaxes = body.filter((node) => node.opType === 'Softmax');
    const fused = body.filter((node) => FUSED_ATTENTION.has(node.opType));
    const expectAttention = points.length % 2 === 1;
    const where = `node '${step.node.name || step.node.outputs[0]}'`;
    if (expectAttention) {
      let attention: AttentionSource;
      if (softmaxes.length === 1 && fused.length === 0) {
        attention = { kind: 'softmax', probabilities: softmaxes[0].outputs[0] };
        const rank = shapes.rankOf(attention.probabilities);
        if (rank !== null && rank !== 4) {
          throw new UnsupportedGraphError(`expected the attention probabilities of layer ${layers.length} to be [batch, heads, queries, keys], found rank ${rank} at node '${softmaxes[0].name}' (Softmax)`);
        }
      }
      else if (fused.length === 1 && softmaxes.length === 0) attention = { kind: 'fused', node: fused[0] };
      else {
        throw new UnsupportedGraphError(
          `expected one Softmax or one fused attention operator in the attention branch of layer ${layers.length}, found ${softmaxes.length} Softmax and ${fused.length} fused (residual step at ${where})`,
        );
      }
      const sliced = positions[positions.length - 1];
      if (sliced) {
        throw new UnsupportedGraphError(`expected the attention of layer ${layers.length} to read every position of the residual stream, found it sliced at node '${sliced.node.name}' (${sliced.node.opType})`);
      }
      const what = `layer ${layers.length}'s attention output projection`;
      const projection = lastProjection(index, body, step.branch, what);
      layers.push({
        attention,
        attentionOutput: { ...projectionInput(index, shapes, projection, what), projection },
        mlpActivation: '',
        projectionWidths: projectionWidths(index, body, streamTensors),
      });
    } else {
      if (fused.length > 0) {
        throw new UnsupportedGraphError(`expected an MLP branch after the attention of layer ${layers.length - 1}, found ${qualifiedOp(fused[0])} at node '${fused[0].name}'`);
      }
      // A Softmax in the MLP branch is a mixture-of-experts router: there is no single MLP activation.
      const layer = layers[layers.length - 1];
      const what = `the MLP down-projection of layer ${layers.length - 1}`;
      layer.mlpActivation = softmaxes.length > 0 ? null : projectionInput(index, shapes, lastProjection(index, body, step.branch, what), what).tensor;
    }
    points.push(step.next);
    positions.push(chainSelections(positions[positions.length - 1], step.selection));
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
  // Never drop a layer silently: attention after the last step followed means the stream went on some way not understood.
  const beyond = attentionAfter(index, withCasts(index, points[points.length - 1].aliases));
  if (beyond) {
    throw new UnsupportedGraphError(
      `expected every attention layer on the residual stream, found attention at node '${beyond.name}' (${qualifiedOp(beyond)}) after the stream's last step Sink Lens could follow, to '${points[points.length - 1].tensor}' after layer ${layers.length - 1}`,
    );
  }
  const residuals = points.map((point) => point.tensor);
  for (const residual of residuals) {
    if (shapes.rankOf(residual) !== null && shapes.rankOf(residual) !== 3) {
      throw new UnsupportedGraphError(`expected the residual stream to be [batch, tokens, hidden], found '${residual}' of rank ${shapes.rankOf(residual)}`);
    }
  }
  const tableName = embedding.opType === 'EmbedLayerNormalization' ? embedding.inputs[2] : embedding.inputs[0];
  return {
    graph: index,
    shapes,
    idsInput,
    embeddingTable: weightBehind(index, tableName),
    residuals,
    residualAliases: points.map((point) => point.aliases),
    residualPositions: positions,
    learnedPositions: start.learnedPositions,
    layers,
    heads: headsShown(shapes, layers),
    exposedOutputs,
  };
}

/** An attention node computed from `tensors`: a fused attention operator, or a Softmax whose probabilities are multiplied with values. */
function attentionAfter(index: GraphIndex, tensors: string[]): OnnxNode | null {
  const seen = new Set<string>(tensors);
  const queue = [...tensors];
  while (queue.length > 0) {
    for (const node of index.consumersOf(queue.shift()!)) {
      if (FUSED_ATTENTION.has(node.opType)) return node;
      if (node.opType === 'Softmax' && index.consumersOf(node.outputs[0]).some((reader) => reader.opType === 'MatMul')) return node;
      for (const output of node.outputs) {
        if (output && !seen.has(output)) {
          seen.add(output);
          queue.push(output);
        }
      }
    }
  }
  return null;
}

/** The head count every layer shows: the probabilities' head axis, or a fused operator's attribute. */
function headsShown(shapes: TensorShapes, layers: DecoderLayer[]): number | null {
  const counts = new Set<number | null>(
    layers.map(({ attention }) => {
      if (attention.kind === 'softmax') {
        const dims = shapes.shapeOf(attention.probabilities);
        return dims?.length === 4 && typeof dims[1] === 'number' ? dims[1] : null;
      }
      const node = attention.node;
      const attribute = Number(node.attributes.get('num_heads')?.i ?? node.attributes.get('q_num_heads')?.i ?? 0);
      if (attribute > 0) return attribute;
      const query = shapes.shapeOf(node.inputs[0]);
      return query?.length === 4 && typeof query[1] === 'number' ? query[1] : null;
    }),
  );
  const [only] = counts;
  return counts.size === 1 && typeof only === 'number' ? only : null;
}

/** The initializer a tensor is, or is a Cast / Identity of (weights stored in bfloat16 and cast to float32). */
function weightBehind(index: GraphIndex, tensor: string): TensorHeader | null {
  let current = tensor;
  for (let producer = index.producer.get(current); producer && PASS_THROUGH.has(producer.opType); producer = index.producer.get(current)) current = producer.inputs[0];
  return index.graph.initializers.get(current) ?? null;
}

interface ResidualStep {
  node: OnnxNode;
  branch: string;
  next: StreamPoint;
  /** Set when the stream operand is a selection of the stream's positions (a sliced last block). */
  selection: PositionSelection | null;
}

/**
 * The node that closes a residual branch opened at `point`: one operand is the stream itself (or,
 * when no such node exists, a selection of its positions), the other is computed from it (or from
 * its aliases).
 */
function residualStep(index: GraphIndex, shapes: TensorShapes, point: StreamPoint, expose: (node: OnnxNode, position: number) => string, probeOnly = false): ResidualStep | null {
  const aliases = new Set(withCasts(index, point.aliases));
  const plain = withCasts(index, [point.tensor]);
  const operands: { sameValue: string[]; selection: PositionSelection | null }[] = [{ sameValue: plain, selection: null }];
  for (const node of probeOnly ? [] : plain.flatMap((tensor) => index.consumersOf(tensor))) {
    const selected = plain.includes(node.inputs[0]) ? tokenSelectionAt(node, index, shapes) : null;
    if (selected) operands.push({ sameValue: withCasts(index, [node.outputs[0]]), selection: { steps: [selected], node } });
  }
  for (const { sameValue, selection } of operands) {
    for (const node of sameValue.flatMap((tensor) => index.consumersOf(tensor))) {
      const isAdd = node.opType === 'Add' && node.inputs.length === 2;
      const isSkip = SKIP_NORMS.has(node.opType);
      if (!isAdd && !isSkip) continue;
      const position = node.inputs.findIndex((input) => sameValue.includes(input));
      if (position > 1) continue;
      const branch = node.inputs[1 - position];
      if (!branch || sameValue.includes(branch) || index.isStatic(branch) || !index.dependsOn(branch, aliases)) continue;
      if (probeOnly) return { node, branch, next: point, selection };
      if (isAdd) return { node, branch, next: { tensor: node.outputs[0], aliases: [node.outputs[0]] }, selection };
      const sum = expose(node, 3);
      return { node, branch, next: { tensor: sum, aliases: [sum, node.outputs[0]] }, selection };
    }
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
