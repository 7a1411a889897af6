/**
 * Finds a decoder's structure by following its residual stream, never by tensor names: from the
 * token-embedding Gather, each block is an attention residual Add (its branch holds a Softmax over
 * Q·Kᵀ) followed by an MLP residual Add (its branch ends in the down-projection).
 */
import { UnsupportedGraphError } from '../errors';
import type { OnnxGraph, OnnxNode, TensorHeader } from '../onnx/proto';
import { GraphIndex } from './graphIndex';

export interface DecoderLayer {
  /** The attention probabilities [batch, heads, query, key]. */
  softmaxOutput: string;
  /** The input of the MLP's down-projection [batch, T, intermediate]. */
  mlpActivation: string;
  /** Output widths of the weight MatMuls that project the attention input (q, k, v or fused). */
  projectionWidths: number[];
}

export interface DecoderLayout {
  graph: GraphIndex;
  idsInput: string;
  embeddingTable: TensorHeader | null;
  /** Residual-stream tensors at depths 0, 0.5, 1, …, L (2L + 1 names). */
  residuals: string[];
  /** Whether h[0] adds a learned position embedding (GPT-2 style) to the token embedding. */
  learnedPositions: boolean;
  layers: DecoderLayer[];
}

/** Exporter operators that hide the pieces we probe; supporting them is separate work. */
const FUSED_OPERATORS = new Set([
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'PackedAttention',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'EmbedLayerNormalization',
  'SparseAttention',
]);

const PASS_THROUGH = new Set(['Cast', 'Identity', 'Dropout']);

export function findDecoderLayout(graph: OnnxGraph): DecoderLayout {
  const fused = graph.nodes.find((node) => FUSED_OPERATORS.has(node.opType) && (node.domain !== '' || node.opType === 'Attention'));
  if (fused) {
    throw new UnsupportedGraphError(
      `fused operator ${qualifiedOp(fused)} at node '${fused.name || fused.outputs[0]}'; ` +
        'Sink Lens reads plain-op exports for now (torch.onnx.export without onnxruntime transformer fusions)',
    );
  }
  const index = new GraphIndex(graph);
  const idsInput = findIdsInput(graph);
  const embedding = findTokenEmbedding(index, idsInput);
  const start = findStreamStart(index, embedding.outputs[0]);
  const residuals = [start.tensor];
  const layers: DecoderLayer[] = [];

  for (let add = residualAdd(index, residuals[0]); add; add = residualAdd(index, residuals[residuals.length - 1])) {
    const stream = residuals[residuals.length - 1];
    const branch = branchInput(add, stream);
    const body = index.nodesBetween(stream, branch);
    const softmaxes = body.filter((node) => node.opType === 'Softmax');
    const expectAttention = residuals.length % 2 === 1;
    const where = `node '${add.name || add.outputs[0]}'`;
    if (expectAttention) {
      if (softmaxes.length !== 1) {
        throw new UnsupportedGraphError(
          `expected one Softmax in the attention branch of layer ${layers.length}, found ${softmaxes.length} (residual Add at ${where})`,
        );
      }
      layers.push({ softmaxOutput: softmaxes[0].outputs[0], mlpActivation: '', projectionWidths: projectionWidths(index, body, stream) });
    } else {
      if (softmaxes.length > 0) {
        throw new UnsupportedGraphError(
          `expected an MLP branch after the attention of layer ${layers.length - 1}, found a Softmax at node '${softmaxes[0].name}' (mixture-of-experts routers are not supported yet)`,
        );
      }
      layers[layers.length - 1].mlpActivation = downProjectionInput(index, branch, layers.length - 1);
    }
    residuals.push(add.outputs[0]);
  }

  if (layers.length === 0) {
    throw new UnsupportedGraphError(
      `expected residual blocks after the token embedding, found none after tensor '${residuals[0]}' (is this a decoder-only language model?)`,
    );
  }
  if (residuals.length % 2 === 0) {
    throw new UnsupportedGraphError(
      `expected an MLP residual Add after the attention of layer ${layers.length - 1}, found none (parallel attention+MLP blocks are not supported yet)`,
    );
  }
  const table = index.graph.initializers.get(embedding.inputs[0]) ?? null;
  return { graph: index, idsInput, embeddingTable: table, residuals, learnedPositions: start.learnedPositions, layers };
}

function qualifiedOp(node: OnnxNode): string {
  return node.domain ? `${node.domain}.${node.opType}` : node.opType;
}

function findIdsInput(graph: OnnxGraph): string {
  const initializerNames = graph.initializers;
  const inputs = graph.inputs.filter((input) => !initializerNames.has(input.name));
  const named = inputs.find((input) => input.name === 'input_ids');
  if (named) return named.name;
  const integer = inputs.find((input) => input.elemType === 7 || input.elemType === 6);
  if (integer) return integer.name;
  throw new UnsupportedGraphError(
    `expected an integer token-id input, found inputs ${inputs.map((input) => `'${input.name}'`).join(', ') || '(none)'}`,
  );
}

function findTokenEmbedding(index: GraphIndex, idsInput: string): OnnxNode {
  const frontier = [idsInput];
  const seen = new Set<string>();
  while (frontier.length > 0) {
    const tensor = frontier.shift()!;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    for (const node of index.consumersOf(tensor)) {
      if (node.opType === 'Gather' && node.inputs[1] === tensor && index.isStatic(node.inputs[0])) return node;
      if (PASS_THROUGH.has(node.opType) || node.opType === 'Reshape' || node.opType === 'Unsqueeze') frontier.push(node.outputs[0]);
    }
  }
  throw new UnsupportedGraphError(
    `expected a token-embedding Gather of a weight table by '${idsInput}', found consumers ${describeConsumers(index, idsInput)}`,
  );
}

/** h[0]: the embedding output after any position embedding or scaling, where the first block starts. */
function findStreamStart(index: GraphIndex, embeddingOutput: string): { tensor: string; learnedPositions: boolean } {
  let tensor = embeddingOutput;
  let learnedPositions = false;
  for (let step = 0; step < 8; step++) {
    if (residualAdd(index, tensor)) return { tensor, learnedPositions };
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

/** The Add that closes a residual branch opened at `stream`: one operand is `stream`, the other is computed from it. */
function residualAdd(index: GraphIndex, stream: string): OnnxNode | null {
  for (const node of index.consumersOf(stream)) {
    if (node.opType !== 'Add' || node.inputs.length !== 2) continue;
    const other = branchInput(node, stream);
    if (other !== stream && !index.isStatic(other) && index.dependsOn(other, stream)) return node;
  }
  return null;
}

function branchInput(add: OnnxNode, stream: string): string {
  return add.inputs[0] === stream ? add.inputs[1] : add.inputs[0];
}

function isWeightMatMul(index: GraphIndex, node: OnnxNode): boolean {
  return (node.opType === 'MatMul' || node.opType === 'Gemm') && node.inputs.slice(0, 2).some((input) => index.isStatic(input));
}

/** Skips bias Adds and casts back from the branch output to the down-projection MatMul. */
function downProjectionInput(index: GraphIndex, branch: string, layer: number): string {
  let node = index.producer.get(branch);
  while (node && (PASS_THROUGH.has(node.opType) || (node.opType === 'Add' && node.inputs.some((input) => index.isStatic(input))))) {
    const dynamic = node.inputs.find((input) => input && !index.isStatic(input));
    node = dynamic ? index.producer.get(dynamic) : undefined;
  }
  if (!node || !isWeightMatMul(index, node)) {
    throw new UnsupportedGraphError(
      `expected the MLP down-projection (a MatMul with a weight) at the end of layer ${layer}'s MLP, found ${node ? `${qualifiedOp(node)} at node '${node.name}'` : 'no producer'}`,
    );
  }
  return node.inputs.find((input) => !index.isStatic(input))!;
}

function projectionWidths(index: GraphIndex, body: OnnxNode[], stream: string): number[] {
  const widths: number[] = [];
  for (const node of body) {
    if (!isWeightMatMul(index, node)) continue;
    // The output projection consumes the attention result, not the normalised stream.
    const dynamic = node.inputs.find((input) => !index.isStatic(input));
    if (!dynamic || !fedByStreamThroughNorm(index, dynamic, stream)) continue;
    const weight = index.graph.initializers.get(node.inputs.find((input) => index.isStatic(input))!);
    const width = weight?.dims[weight.dims.length - 1];
    if (width) widths.push(node.opType === 'Gemm' && node.attributes.get('transB')?.i === 1n ? weight.dims[0] : width);
  }
  return widths;
}

/** True when `tensor` is the normalised stream: computed from `stream` without any MatMul in between. */
function fedByStreamThroughNorm(index: GraphIndex, tensor: string, stream: string): boolean {
  const stack = [tensor];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current === stream) return true;
    if (seen.has(current) || index.isStatic(current)) continue;
    seen.add(current);
    const node = index.producer.get(current);
    if (!node || node.opType === 'MatMul' || node.opType === 'Gemm' || node.opType === 'Softmax') continue;
    for (const input of node.inputs) if (input) stack.push(input);
  }
  return false;
}

function describeConsumers(index: GraphIndex, tensor: string): string {
  const consumers = index.consumersOf(tensor);
  if (consumers.length === 0) return '(none)';
  return consumers.map((node) => `${qualifiedOp(node)} '${node.name}'`).join(', ');
}
