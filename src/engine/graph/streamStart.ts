/**
 * Where a decoder's residual stream starts: the integer token-id input, the token-embedding Gather
 * (or fused EmbedLayerNormalization) it feeds, and h[0] after any position embedding or scaling.
 */
import { UnsupportedGraphError } from '../errors';
import { DATA_TYPE_NAMES, OnnxGraph, OnnxNode, ValueInfo } from '../onnx/proto';
import type { GraphIndex } from './graphIndex';

export interface StreamPoint {
  tensor: string;
  aliases: string[];
}

export const PASS_THROUGH = new Set(['Cast', 'Identity', 'Dropout']);
const INTEGER_TYPES = new Set([6, 7]);
/** Integer inputs that are not token ids, whatever they feed (a position table is a weight table too). */
const NOT_IDS = /mask|position|past|present|cache|seqlen|sequence_length/i;

export function qualifiedOp(node: OnnxNode): string {
  return node.domain ? `${node.domain}.${node.opType}` : node.opType;
}

export function describeConsumers(index: GraphIndex, tensor: string): string {
  const consumers = index.consumersOf(tensor);
  if (consumers.length === 0) return '(none)';
  return consumers.map((node) => `${qualifiedOp(node)} '${node.name}'`).join(', ');
}

/** 'name' (int64 [batch, sequence]), for messages. */
export function describeInput(input: ValueInfo): string {
  const type = input.elemType === null ? 'unknown type' : (DATA_TYPE_NAMES[input.elemType] ?? `type ${input.elemType}`);
  const shape = input.shape ? `[${input.shape.map((dim) => dim ?? '?').join(', ')}]` : 'of unknown shape';
  return `'${input.name}' (${type} ${shape})`;
}

/** The token-id input: `input_ids`, or the integer input that selects rows of the embedding table. */
export function findIdsInput(graph: OnnxGraph, index: GraphIndex): string {
  const inputs = graph.inputs.filter((input) => !graph.initializers.has(input.name));
  const named = inputs.find((input) => input.name === 'input_ids');
  if (named) return named.name;
  const selecting = inputs.find((input) => INTEGER_TYPES.has(input.elemType ?? 0) && !NOT_IDS.test(input.name) && tokenEmbeddingOf(index, input.name) !== null);
  if (selecting) return selecting.name;
  const listed = inputs.map(describeInput);
  const found = listed.length === 0 ? 'no inputs' : `input${listed.length > 1 ? 's' : ''} ${listed.join(', ')}`;
  const embeds = inputs.find((input) => /embed/i.test(input.name));
  const remedy = embeds
    ? `Sink Lens needs the token ids, not '${embeds.name}': export the model with an input_ids input`
    : 'Sink Lens needs the token ids as an input: export the model with input_ids';
  throw new UnsupportedGraphError(`expected an integer token-id input (input_ids) that selects rows of an embedding table, found ${found}; ${remedy}`);
}

/** The Gather of a weight table by the ids, or a fused EmbedLayerNormalization of them. */
export function findTokenEmbedding(index: GraphIndex, idsInput: string): OnnxNode {
  const embedding = tokenEmbeddingOf(index, idsInput);
  if (embedding) return embedding;
  throw new UnsupportedGraphError(`expected a token-embedding Gather of a weight table by '${idsInput}', found consumers ${describeConsumers(index, idsInput)}`);
}

function tokenEmbeddingOf(index: GraphIndex, idsInput: string): OnnxNode | null {
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
  return null;
}

/** EmbedLayerNormalization: output 2 is the embedding sum (h[0]), output 0 its normalisation. */
export function embedLayerNormStart(node: OnnxNode, expose: (node: OnnxNode, position: number) => string) {
  const sum = expose(node, 2);
  return { point: { tensor: sum, aliases: [sum, node.outputs[0]] }, learnedPositions: Boolean(node.inputs[3]) };
}

/** h[0]: the embedding output after any position embedding or scaling, where the first block starts. */
export function findStreamStart(index: GraphIndex, embeddingOutput: string, isBlockStart: (point: StreamPoint) => boolean) {
  let tensor = embeddingOutput;
  let learnedPositions = false;
  for (let step = 0; step < 8; step++) {
    const point = { tensor, aliases: [tensor] };
    if (isBlockStart(point)) return { point, learnedPositions };
    const next = index.consumersOf(tensor).find((node) => ['Add', 'Mul', 'Div', ...PASS_THROUGH].includes(node.opType));
    if (!next) break;
    // An Add of something computed at run time (not a constant) is a position-embedding lookup.
    if (next.opType === 'Add' && next.inputs.every((input) => !index.isStatic(input))) learnedPositions = true;
    tensor = next.outputs[0];
  }
  throw new UnsupportedGraphError(`expected the first block's residual Add after the token embedding, found consumers ${describeConsumers(index, tensor)} of '${tensor}'`);
}

/**
 * The tensors plus every Cast / Identity of them: exporters of Hugging Face models record
 * `x.to(torch.float32)` as a Cast even when x is already float32, and later blocks read the cast.
 */
export function withCasts(index: GraphIndex, tensors: string[]): string[] {
  const all = [...tensors];
  for (let i = 0; i < all.length; i++) {
    for (const node of index.consumersOf(all[i])) {
      if (PASS_THROUGH.has(node.opType) && node.outputs[0] && !all.includes(node.outputs[0])) all.push(node.outputs[0]);
    }
  }
  return all;
}
