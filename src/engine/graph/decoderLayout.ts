/**
 * Finds a decoder's structure by following its residual stream, never by tensor names: from the
 * token embedding, block by block. A sequential block is an attention residual step (its branch
 * holds a Softmax over Q·Kᵀ, or a fused attention operator) followed by an MLP residual step (its
 * branch ends in the down-projection). A parallel block (GPT-NeoX, GPT-J) adds an attention
 * branch and an MLP branch that both read the block's input, in one residual add of their sum
 * or in two adds whose first sum no layer reads (residualSteps.ts): it has no state after its
 * attention. A residual step is a plain Add, or a fused SkipLayerNormalization /
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
import { branchTerms, endsStreamPath, FUSED_ATTENTION, feedsMatMul, holdsAttention, isWeightMatMul, residualStep, siblingStep } from './residualSteps';
import { chainSelections, PositionSelection } from './streamPositions';
import { embedLayerNormStart, findIdsInput, findStreamStart, findTokenEmbedding, PASS_THROUGH, qualifiedOp, StreamPoint, withCasts } from './streamStart';
import { TensorShapes } from './tensorShapes';

export type AttentionSource =
  /** The probabilities are a Softmax output in the graph. */
  | { kind: 'softmax'; probabilities: string }
  /** A fused operator hides them; they are recomputed from its inputs (graph/attentionRecompute.ts). */
  | { kind: 'fused'; node: OnnxNode };

/**
 * A branch of a block as the graph computes it: the stream tensors it may read (the stream and,
 * after a fused norm, its normalised copy), the stream itself (`primary`, with its casts), and the
 * branch's output before the residual add.
 */
export interface Branch {
  stream: string[];
  primary: string[];
  output: string;
}

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
  /** sequential: the MLP reads h + Attn(h); parallel: attention and MLP both read h, and h + Attn + MLP is the block's only state. */
  residual: 'sequential' | 'parallel';
  /** Indexes into `residuals`: the block's input, its state after attention (null for a parallel block), its output. */
  depthIndex: { input: number; middle: number | null; output: number };
  branches: { attention: Branch; mlp: Branch };
}

export interface DecoderLayout {
  graph: GraphIndex;
  /** What the graph proves about tensor shapes; edits check the ranks they rely on here. */
  shapes: TensorShapes;
  idsInput: string;
  embeddingTable: TensorHeader | null;
  /** Residual-stream tensors, one per state the model has: 0, then l + 0.5 (sequential blocks only) and l + 1 for every block l. */
  residuals: string[];
  /** The depth of each residual tensor (0, 0.5, 1, …; a parallel block l contributes only l + 1). */
  depths: number[];
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
  const depths = [0];
  const positions: (PositionSelection | null)[] = [null];
  const layers: DecoderLayer[] = [];
  const follow = (point: StreamPoint, depth: number, selection: PositionSelection | null) => {
    points.push(point);
    depths.push(depth);
    positions.push(chainSelections(positions[positions.length - 1], selection));
    return points.length - 1;
  };

  for (let step = residualStep(index, shapes, points[0], expose); step; step = residualStep(index, shapes, points[points.length - 1], expose)) {
    const l = layers.length;
    const input = points.length - 1;
    const stream = withCasts(index, points[input].aliases);
    const primary = withCasts(index, [points[input].tensor]);
    const streamSet = new Set(stream);
    const where = `node '${step.node.name || step.node.outputs[0]}'`;
    const terms = branchTerms(index, step.branch, streamSet);
    let end = step.next;
    for (let sibling = siblingStep(index, end, streamSet); sibling; sibling = siblingStep(index, end, streamSet)) {
      terms.push(...branchTerms(index, sibling.branch, streamSet));
      end = sibling.next;
    }
    const bodyOf = (tensor: string) => index.nodesBetween(streamSet, tensor);
    const attentionTerms = terms.filter((term) => holdsAttention(index, bodyOf(term)));
    const otherTerms = terms.filter((term) => !attentionTerms.includes(term));
    if (positions[input]) {
      throw new UnsupportedGraphError(
        `expected the attention of layer ${l} to read every position of the residual stream, found it sliced at node '${positions[input]!.node.name}' (${positions[input]!.node.opType})`,
      );
    }
    if (attentionTerms.length > 0 && otherTerms.length > 0) {
      // A parallel block: the attention and MLP terms both read the block's input.
      if (attentionTerms.length > 1 || (otherTerms.length > 1 && !otherTerms.some((term) => bodyOf(term).some((node) => node.opType === 'Softmax')))) {
        throw new UnsupportedGraphError(
          `expected one attention and one MLP branch in the parallel block of layer ${l}, found ${attentionTerms.length} and ${otherTerms.length} (residual step at ${where})`,
        );
      }
      const attentionTerm = attentionTerms[0];
      const mlpBody = otherTerms.flatMap(bodyOf);
      const output = follow(end, l + 1, step.selection);
      layers.push({
        ...attentionLayer(index, shapes, bodyOf(attentionTerm), attentionTerm, stream, l, where),
        mlpActivation: mlpActivationOf(index, shapes, mlpBody, otherTerms.length === 1 ? otherTerms[0] : null, l),
        residual: 'parallel',
        depthIndex: { input, middle: null, output },
        branches: { attention: { stream, primary, output: attentionTerm }, mlp: { stream, primary, output: otherTerms[0] } },
      });
      continue;
    }
    if (terms.length > 1 && end !== step.next) {
      throw new UnsupportedGraphError(`expected the branches added at ${where} to be one attention and one MLP, found ${attentionTerms.length} attention and ${otherTerms.length} other branches`);
    }
    const attention = attentionLayer(index, shapes, bodyOf(step.branch), step.branch, stream, l, where);
    const middle = follow(step.next, l + 0.5, step.selection);
    const middleStream = withCasts(index, points[middle].aliases);
    const middlePrimary = withCasts(index, [points[middle].tensor]);
    const mlpStep = residualStep(index, shapes, points[middle], expose);
    if (!mlpStep) throw new UnsupportedGraphError(`expected an MLP residual step after the attention of layer ${l}, found none`);
    const mlpBody = index.nodesBetween(new Set(middleStream), mlpStep.branch);
    const fused = mlpBody.find((node) => FUSED_ATTENTION.has(node.opType));
    if (fused) throw new UnsupportedGraphError(`expected an MLP branch after the attention of layer ${l}, found ${qualifiedOp(fused)} at node '${fused.name}'`);
    const output = follow(mlpStep.next, l + 1, mlpStep.selection);
    layers.push({
      ...attention,
      mlpActivation: mlpActivationOf(index, shapes, mlpBody, mlpStep.branch, l),
      residual: 'sequential',
      depthIndex: { input, middle, output },
      branches: { attention: { stream, primary, output: step.branch }, mlp: { stream: middleStream, primary: middlePrimary, output: mlpStep.branch } },
    });
  }

  if (layers.length === 0) {
    throw new UnsupportedGraphError(`expected residual blocks after the token embedding, found none after tensor '${points[0].tensor}' (is this a decoder-only language model?)`);
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
    depths,
    residualAliases: points.map((point) => point.aliases),
    residualPositions: positions,
    learnedPositions: start.learnedPositions,
    layers,
    heads: headsShown(shapes, layers),
    exposedOutputs,
  };
}

type AttentionPart = Pick<DecoderLayer, 'attention' | 'attentionOutput' | 'projectionWidths'>;

/** The attention of layer `l` in `body`, the branch computed from `stream` that ends at `branch`. */
function attentionLayer(index: GraphIndex, shapes: TensorShapes, body: OnnxNode[], branch: string, stream: string[], l: number, where: string): AttentionPart {
  const softmaxes = body.filter((node) => node.opType === 'Softmax');
  const fused = body.filter((node) => FUSED_ATTENTION.has(node.opType));
  let attention: AttentionSource;
  if (softmaxes.length === 1 && fused.length === 0) {
    attention = { kind: 'softmax', probabilities: softmaxes[0].outputs[0] };
    const rank = shapes.rankOf(attention.probabilities);
    if (rank !== null && rank !== 4) {
      throw new UnsupportedGraphError(`expected the attention probabilities of layer ${l} to be [batch, heads, queries, keys], found rank ${rank} at node '${softmaxes[0].name}' (Softmax)`);
    }
  } else if (fused.length === 1 && softmaxes.length === 0) {
    attention = { kind: 'fused', node: fused[0] };
  } else {
    throw new UnsupportedGraphError(
      `expected one Softmax or one fused attention operator in the attention branch of layer ${l}, found ${softmaxes.length} Softmax and ${fused.length} fused (residual step at ${where})`,
    );
  }
  const what = `layer ${l}'s attention output projection`;
  const projection = lastProjection(index, body, branch, what);
  return { attention, attentionOutput: { ...projectionInput(index, shapes, projection, what), projection }, projectionWidths: projectionWidths(index, body, stream) };
}

/** The MLP activation: the down-projection's input; null for a mixture of experts (a router Softmax in the branch: no single activation). */
function mlpActivationOf(index: GraphIndex, shapes: TensorShapes, body: OnnxNode[], branch: string | null, l: number): string | null {
  if (body.some((node) => node.opType === 'Softmax') || branch === null) return null;
  const what = `the MLP down-projection of layer ${l}`;
  return projectionInput(index, shapes, lastProjection(index, body, branch, what), what).tensor;
}

/** An attention node computed from `tensors`: a fused attention operator, or a Softmax whose probabilities are multiplied with values. */
function attentionAfter(index: GraphIndex, tensors: string[]): OnnxNode | null {
  const seen = new Set<string>(tensors);
  const queue = [...tensors];
  while (queue.length > 0) {
    for (const node of index.consumersOf(queue.shift()!)) {
      if (FUSED_ATTENTION.has(node.opType)) return node;
      if (node.opType === 'Softmax' && feedsMatMul(index, node.outputs[0])) return node;
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
    if (!node || endsStreamPath(node)) continue;
    for (const input of node.inputs) if (input) stack.push(input);
  }
  return false;
}
