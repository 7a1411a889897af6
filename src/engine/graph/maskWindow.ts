/**
 * A layer's sliding window, where its mask shows it: the mask added to (or selecting) the scores
 * that a layer's Softmax reads contains a lower-triangle Trilu with a constant negative diagonal
 * −w (rows q, columns k with k <= q − w: the keys a window of w leaves out), as transformers'
 * sliding masks and the graphs Sink Lens builds do. Only the mask's own path is searched (the
 * scores' MatMul ends it), so an earlier layer's window is never taken for this one's.
 */
import type { DecoderLayer } from './decoderLayout';
import type { GraphIndex } from './graphIndex';
import type { TensorShapes } from './tensorShapes';

const SEARCHED_NODES = 200;

/** The window of a Softmax layer whose mask shows one; undefined when the graph does not show one (full attention, or a mask it cannot read). */
export function maskWindow(index: GraphIndex, shapes: TensorShapes, layer: DecoderLayer): number | undefined {
  if (layer.attention.kind !== 'softmax') return undefined;
  const softmax = index.producer.get(layer.attention.probabilities);
  if (!softmax) return undefined;
  const seen = new Set<string>();
  const stack = [...softmax.inputs];
  while (stack.length > 0 && seen.size < SEARCHED_NODES) {
    const tensor = stack.pop()!;
    if (!tensor || seen.has(tensor)) continue;
    seen.add(tensor);
    const node = index.producer.get(tensor);
    if (!node || node.opType === 'MatMul' || node.opType === 'Softmax' || node.opType === 'Gemm') continue;
    if (node.opType === 'Trilu' && Number(node.attributes.get('upper')?.i ?? 1) === 0 && node.inputs[1]) {
      const [diagonal] = shapes.valuesOf(node.inputs[1]) ?? [null];
      if (typeof diagonal === 'number' && diagonal < 0) return -diagonal;
    }
    stack.push(...node.inputs);
  }
  return undefined;
}
