/**
 * The residual stream's steps, found by structure: the node that adds a branch back into the
 * stream, the terms such a branch is a sum of, and the split spelling of a parallel block. Used by
 * decoderLayout.ts to follow a decoder block by block.
 */
import type { OnnxNode } from '../onnx/proto';
import type { GraphIndex } from './graphIndex';
import { PositionSelection, tokenSelectionAt } from './streamPositions';
import { StreamPoint, withCasts } from './streamStart';
import type { TensorShapes } from './tensorShapes';

const SKIP_NORMS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);
export const FUSED_ATTENTION = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention']);
const WEIGHT_MATMULS = new Set(['MatMul', 'Gemm', 'MatMulNBits', 'MatMulInteger', 'FusedMatMul']);

/** A projection: a matrix product with a weight (a constant input). */
export function isWeightMatMul(index: GraphIndex, node: OnnxNode): boolean {
  return WEIGHT_MATMULS.has(node.opType) && node.inputs.slice(0, 2).some((input) => index.isStatic(input));
}

/** Nodes a path from the stream to a projection's input does not cross: it would no longer be the stream that is read. */
export function endsStreamPath(node: OnnxNode): boolean {
  return WEIGHT_MATMULS.has(node.opType) || node.opType === 'Softmax' || FUSED_ATTENTION.has(node.opType);
}

export interface ResidualStep {
  node: OnnxNode;
  branch: string;
  next: StreamPoint;
  /** Set when the stream operand is a selection of the stream's positions (a sliced last block). */
  selection: PositionSelection | null;
}

/**
 * The node that closes a residual branch opened at `point`: one operand is the stream itself (or,
 * when no such node exists, a selection of its positions), the other is computed from it (or from
 * its aliases). A fused SkipLayerNormalization / SkipSimplifiedLayerNormalization is such a node
 * too: its optional output 3 (the sum, exposed) is the stream after it.
 */
export function residualStep(index: GraphIndex, shapes: TensorShapes, point: StreamPoint, expose: (node: OnnxNode, position: number) => string, probeOnly = false): ResidualStep | null {
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

/**
 * The terms a branch sums: a plain Add both of whose operands are computed from the stream is
 * opened up (GPT-NeoX's `mlp_output + attn_output` before `+ hidden_states`); a bias Add (one
 * operand a weight) and anything else is one term.
 */
export function branchTerms(index: GraphIndex, branch: string, stream: ReadonlySet<string>): string[] {
  const producer = index.producer.get(branch);
  const opens = producer?.opType === 'Add' && producer.inputs.length === 2 && producer.inputs.every((input) => input && !index.isStatic(input) && index.dependsOn(input, stream));
  return opens ? producer.inputs.flatMap((input) => branchTerms(index, input, stream)) : [branch];
}

/**
 * A parallel block spelled as two residual adds, (h + Attn(h)) + MLP(h): after the first add
 * `point`, an Add of the stream and a branch that reads the block's input `blockInput` but not
 * `point`, so that `point` is a partial sum no layer reads, not a residual state.
 */
export function siblingStep(index: GraphIndex, point: StreamPoint, blockInput: ReadonlySet<string>): ResidualStep | null {
  const sameValue = withCasts(index, [point.tensor]);
  const partial = new Set(withCasts(index, point.aliases));
  for (const node of sameValue.flatMap((tensor) => index.consumersOf(tensor))) {
    if (node.opType !== 'Add' || node.inputs.length !== 2) continue;
    const branch = node.inputs.find((input) => !sameValue.includes(input));
    if (!branch || index.isStatic(branch) || !index.dependsOn(branch, blockInput) || index.dependsOn(branch, partial)) continue;
    return { node, branch, next: { tensor: node.outputs[0], aliases: [node.outputs[0]] }, selection: null };
  }
  return null;
}

/** Whether `body` holds an attention: a fused attention operator, or a Softmax whose probabilities are multiplied with values (a router's feeds TopK). */
export function holdsAttention(index: GraphIndex, body: OnnxNode[]): boolean {
  return body.some((node) => FUSED_ATTENTION.has(node.opType) || (node.opType === 'Softmax' && feedsMatMul(index, node.outputs[0])));
}

export function feedsMatMul(index: GraphIndex, tensor: string): boolean {
  return withCasts(index, [tensor]).some((probabilities) => index.consumersOf(probabilities).some((reader) => reader.opType === 'MatMul'));
}
