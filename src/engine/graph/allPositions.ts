/**
 * A tensor that the graph computes for only some positions (streamPositions.ts), put back at
 * those positions in a float32 [batch, T, width] tensor whose other positions are NaN: every
 * per-position probe then reads it like any other depth, and the report says "absent" (null)
 * wherever a value is NaN. T is read from the ids input at run time.
 */
import { EditBuilder, int } from './editBuilder';
import type { PositionSelection } from './streamPositions';

export function atAllPositions(edits: EditBuilder, tensor: string, elemType: number, selection: PositionSelection, idsInput: string): string {
  const values = edits.toFloat(tensor, elemType);
  const tokens = edits.node('Gather', [edits.node('Shape', [idsInput]), edits.int64([1], [])], { axis: int(0) });
  let positions = edits.node('Range', [edits.int64([0], []), tokens, edits.int64([1], [])]);
  for (const step of selection.steps) {
    positions =
      step.kind === 'slice'
        ? edits.node('Slice', [positions, edits.int64([step.start]), edits.int64([step.end]), edits.int64([0]), edits.int64([step.step])])
        : edits.node('Gather', [positions, edits.int64(step.indices)], { axis: int(0) });
  }
  const shape = edits.node('Shape', [values]);
  const axis = (tensorShape: string, at: number) => edits.node('Gather', [tensorShape, edits.int64([at])], { axis: int(0) });
  const full = edits.node('Concat', [axis(shape, 0), axis(edits.node('Shape', [idsInput]), 1), axis(shape, 2)], { axis: int(0) });
  const absent = edits.node('Add', [edits.node('ConstantOfShape', [full]), edits.float([NaN], [])]);
  const indices = edits.node('Expand', [edits.node('Reshape', [positions, edits.int64([1, -1, 1])]), shape]);
  return edits.node('ScatterElements', [absent, indices, values], { axis: int(1) });
}
