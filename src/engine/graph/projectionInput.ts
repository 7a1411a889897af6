/**
 * What a weight projection (the attention output projection, the MLP down-projection) reads, in
 * the [batch, T, width] layout that the probes and the head mask work on. A MatMul reads that
 * tensor itself; a 2-D Gemm (transformers' `Conv1D`, exported as Reshape → Gemm → Reshape) reads a
 * [batch·T, width] view of it, and the edits go before that Reshape. Anything else is refused with
 * the node that breaks the proof: edits never assume a rank the graph does not show.
 */
import { UnsupportedGraphError } from '../errors';
import type { OnnxNode } from '../onnx/proto';
import type { GraphIndex } from './graphIndex';
import type { TensorShapes } from './tensorShapes';

export interface ProjectionInput {
  /** The [batch, T, width] tensor. */
  tensor: string;
  /** The node that reads `tensor`: the projection itself, or the Reshape that flattens it for a 2-D projection. */
  reader: OnnxNode;
  /** 'direct': the projection reads the 3-D tensor; 'flattened': through `reader`, as [batch·T, width]. */
  form: 'direct' | 'flattened';
}

const SAME_VALUE = new Set(['Cast', 'Identity']);

export function projectionInput(index: GraphIndex, shapes: TensorShapes, projection: OnnxNode, what: string): ProjectionInput {
  const where = `node '${projection.name || projection.outputs[0]}' (${projection.opType})`;
  const dataAt = projection.inputs.findIndex((input, i) => i < 2 && input && !index.isStatic(input));
  const input = projection.inputs[dataAt];
  if (projection.opType === 'Gemm' && projection.attributes.get('transA')?.i === 1n) {
    throw new UnsupportedGraphError(`expected ${what} to read its input untransposed, found transA = 1 at ${where}`);
  }
  const rank = shapes.rankOf(input);
  if (rank === 3) return { tensor: input, reader: projection, form: 'direct' };
  if (rank !== 2) {
    throw new UnsupportedGraphError(`expected ${what} at ${where} to read a [batch, tokens, width] tensor, found ${describe(shapes, input)}`);
  }
  const width = weightInputWidth(index, projection, dataAt);
  let tensor = input;
  let producer = index.producer.get(tensor);
  while (producer && SAME_VALUE.has(producer.opType)) {
    tensor = producer.inputs[0];
    producer = index.producer.get(tensor);
  }
  if (!producer || (producer.opType !== 'Reshape' && producer.opType !== 'Flatten')) {
    throw new UnsupportedGraphError(
      `expected ${what} at ${where} to read [batch, tokens, width] or a Reshape of it to [batch·tokens, width], found rank 2 from ${producer ? `node '${producer.name}' (${producer.opType})` : `'${tensor}'`}`,
    );
  }
  const merged = producer.inputs[0];
  const mergedWidth = shapes.lastDim(merged);
  const flatWidth = shapes.lastDim(tensor);
  const flattensFirstAxes = producer.opType === 'Reshape' || Number(producer.attributes.get('axis')?.i ?? 1) === 2;
  const proved = shapes.rankOf(merged) === 3 && flattensFirstAxes && mergedWidth !== null && mergedWidth === (flatWidth ?? mergedWidth) && (width === null || width === mergedWidth);
  if (!proved) {
    throw new UnsupportedGraphError(
      `expected node '${producer.name}' (${producer.opType}) before ${what} to merge only the batch and token axes of a [batch, tokens, width] tensor, found ${describe(shapes, merged)} reshaped to ${describe(shapes, tensor)}`,
    );
  }
  return { tensor: merged, reader: producer, form: 'flattened' };
}

/** The width a projection's weight expects on its data input (Gemm's transB counted), when the weight is an initializer. */
function weightInputWidth(index: GraphIndex, projection: OnnxNode, dataAt: number): number | null {
  const weight = index.graph.initializers.get(projection.inputs[1 - dataAt]);
  if (!weight || weight.dims.length !== 2) return null;
  const transposed = projection.opType === 'Gemm' && projection.attributes.get('transB')?.i === 1n;
  return dataAt === 0 ? weight.dims[transposed ? 1 : 0] : weight.dims[1];
}

function describe(shapes: TensorShapes, tensor: string): string {
  const shape = shapes.shapeOf(tensor);
  return shape ? `'${tensor}' of shape [${shape.map((dim) => dim ?? '?').join(', ')}]` : `'${tensor}' of unknown rank`;
}
