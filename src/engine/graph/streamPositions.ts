/**
 * Residual depths that a graph computes for only some positions. onnxruntime's greedy-search
 * `init_decoder` (convert_generation.py), for one, slices the last block's residual stream to the
 * last token before its residual Add (Slice starts -1, ends -2, axes 1, steps -1), since only the
 * last logits are needed: that block's attention still covers every query, but depths L - 0.5 and
 * L exist only at the last position. A selection records such slices of the token axis so the
 * probes can put each value back at its position (and leave the others absent).
 */
import type { OnnxNode } from '../onnx/proto';
import type { GraphIndex } from './graphIndex';
import { sliceBounds, sliceIndices } from './sliceBounds';
import type { TensorShapes } from './tensorShapes';

/** One selection along the token axis: ONNX Slice bounds, or Gather indices. */
export type TokenSelection = { kind: 'slice'; start: number; end: number; step: number } | { kind: 'gather'; indices: number[] };

export interface PositionSelection {
  /** Applied in order to positions 0…T-1. */
  steps: TokenSelection[];
  /** The node that selects, for messages. */
  node: OnnxNode;
}

/** The positions left of 0…T-1 after the selections (all of them for `null`). */
export function selectedPositions(selection: PositionSelection | null, tokens: number): number[] {
  let positions = Array.from({ length: tokens }, (_, i) => i);
  for (const step of selection?.steps ?? []) {
    const picked = step.kind === 'slice' ? sliceIndices(positions.length, step.start, step.end, step.step) : step.indices.map((i) => (i < 0 ? i + positions.length : i));
    positions = picked.filter((i) => i >= 0 && i < positions.length).map((i) => positions[i]);
  }
  return positions;
}

/** Both selections, the second applied after the first. */
export function chainSelections(first: PositionSelection | null, second: PositionSelection | null): PositionSelection | null {
  if (!first) return second;
  if (!second) return first;
  return { steps: [...first.steps, ...second.steps], node: second.node };
}

/** A rank-preserving selection of the token axis (1) of a [batch, T, width] tensor: a Slice with constant bounds, or a Gather of constant 1-D indices. */
export function tokenSelectionAt(node: OnnxNode, index: GraphIndex, shapes: TensorShapes): TokenSelection | null {
  const rank = shapes.rankOf(node.inputs[0]);
  if (rank !== 3) return null;
  const valuesOf = (tensor: string) => (index.isStatic(tensor) ? shapes.valuesOf(tensor) : null);
  if (node.opType === 'Slice') {
    const bounds = sliceBounds(node, valuesOf);
    if (!bounds || bounds.axes.length !== 1 || (bounds.axes[0] + 3) % 3 !== 1) return null;
    return { kind: 'slice', start: bounds.starts[0], end: bounds.ends[0], step: bounds.steps[0] };
  }
  if (node.opType === 'Gather' && (Number(node.attributes.get('axis')?.i ?? 0) + 3) % 3 === 1 && shapes.rankOf(node.inputs[1]) === 1) {
    const indices = valuesOf(node.inputs[1]);
    if (indices && indices.every((i) => i !== null)) return { kind: 'gather', indices: indices as number[] };
  }
  return null;
}

/** "only at the last position" / "only at some positions (of 8 tokens: 0, 2, 4, 6)", for warnings. */
export function describeSelection(selection: PositionSelection): string {
  const lastOnly = [3, 9].every((tokens) => {
    const positions = selectedPositions(selection, tokens);
    return positions.length === 1 && positions[0] === tokens - 1;
  });
  if (lastOnly) return 'only at the last position';
  return `only at some positions (of 8 tokens: ${selectedPositions(selection, 8).join(', ') || 'none'})`;
}
