/** ONNX Slice on constant bounds: which bounds a node gives, and which indices they take. */
import type { OnnxNode } from '../onnx/proto';

/** Slice's starts, ends, axes and steps when all are constants (opset 10+ inputs, or attributes). */
export function sliceBounds(node: OnnxNode, valuesOf: (tensor: string) => (number | null)[] | null) {
  const read = (position: number, attribute: string): number[] | null => {
    const fromAttribute = node.attributes.get(attribute)?.ints;
    if (fromAttribute) return fromAttribute.map(Number);
    const tensor = node.inputs[position];
    if (!tensor) return null;
    const values = valuesOf(tensor);
    return values && values.every((value) => value !== null) ? (values as number[]) : null;
  };
  const starts = read(1, 'starts');
  const ends = read(2, 'ends');
  if (!starts || !ends || starts.length !== ends.length) return null;
  const axes = node.inputs[3] || node.attributes.has('axes') ? read(3, 'axes') : starts.map((_, i) => i);
  const steps = node.inputs[4] ? read(4, 'steps') : starts.map(() => 1);
  if (!axes || !steps || axes.length !== starts.length || steps.length !== starts.length) return null;
  return { starts, ends, axes, steps };
}

/** The indices ONNX Slice takes from an axis of `size` (negative bounds count from the end, clamped). */
export function sliceIndices(size: number, start: number, end: number, step: number): number[] {
  if (step === 0) return [];
  const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);
  const from = start < 0 ? start + size : start;
  const to = end < 0 ? end + size : end;
  const indices: number[] = [];
  if (step > 0) for (let i = clamp(from, 0, size); i < clamp(to, 0, size); i += step) indices.push(i);
  else for (let i = clamp(from, 0, size - 1); i > clamp(to, -1, size - 1); i += step) indices.push(i);
  return indices;
}
