/**
 * Session-creation failures that have a remedy the user can act on, said as such instead of as
 * onnxruntime's message.
 *
 * bfloat16 on the CPU: onnxruntime 1.30's CPU provider has bfloat16 kernels only for moving data
 * (Cast, Gather, Reshape, Transpose, Concat, Slice, Split, (Un)Squeeze, Identity, Shape,
 * ConstantOfShape) and for LayerNormalization / SimplifiedLayerNormalization and the com.microsoft
 * Skip(Simplified)LayerNormalization; none for MatMul, Gemm, Add, Mul, Sub, Div, Pow, Sqrt,
 * Softmax, the Reduce* ops, Sigmoid, Tanh, Erf, Where, Equal, Expand, Trilu, nor the fused
 * attention operators (measured one operator at a time). A model that computes in bfloat16 cannot
 * run there at all: session creation fails with "Could not find an implementation for MatMul(13)
 * node with name '…'". Unlike float16, onnxruntime does not insert casts to float32 around them,
 * so the probed copy for the CPU computes such a model in float32 (graph/bfloat16Compute.ts, which
 * keeps the list of these kernels); this error remains for what that rewrite cannot reach.
 */
import { basename } from 'node:path';
import { SinkLensError } from '../errors';
import { FileSource } from '../onnx/byteSource';
import { BFLOAT16_AS_FLOAT32_SCOPE } from '../graph/bfloat16Compute';
import { probeNodePrefix } from '../graph/editBuilder';
import { DataType, parseModel } from '../onnx/proto';

const MISSING_KERNEL = /Could not find an implementation for (\S+)\((\d+)\) node with name '([^']*)'/;
const UNSUPPORTED_BFLOAT16 = /Unsupported data type: 16\b/;

/** A SinkLensError that explains `message`, or null when it is not one of these failures. */
export function explainSessionFailure(message: string, modelPath: string, provider: string, onnxruntimeVersion: string): SinkLensError | null {
  if (UNSUPPORTED_BFLOAT16.test(message)) {
    return new SinkLensError(
      'model',
      'bfloat16-io',
      `onnxruntime-node ${onnxruntimeVersion} cannot pass bfloat16 tensors to or from JavaScript, and ${basename(modelPath)} has a bfloat16 graph input or output that Sink Lens could not declare as float32; export the model with float32 (or float16) inputs and outputs`,
    );
  }
  const missing = MISSING_KERNEL.exec(message);
  if (!missing) return null;
  const [, op, version, name] = missing;
  const where = name ? `node '${name}'` : `a node onnxruntime made while expanding a function such as Softmax`;
  const device = provider === 'cpu' ? 'CPU' : provider.toUpperCase();
  const bfloat16 = bfloat16Use(modelPath);
  if (bfloat16 === 'computed-in-float32') {
    return new SinkLensError(
      'model',
      'no-bfloat16-kernel',
      `this model computes in bfloat16; Sink Lens computed it in float32 for onnxruntime ${onnxruntimeVersion}'s ${device} provider, which has no bfloat16 arithmetic, but ${op}-${version} at ${where} still has no kernel there (a part of the model Sink Lens cannot rewrite, such as a model-local function); run it on CUDA (device cuda), or analyse a float16 or float32 export of the model`,
    );
  }
  if (bfloat16 === 'bfloat16') {
    return new SinkLensError(
      'model',
      'no-bfloat16-kernel',
      `this model computes in bfloat16, and onnxruntime ${onnxruntimeVersion}'s ${device} provider has no bfloat16 kernel for ${op}-${version} at ${where}; run it on CUDA (device cuda), or analyse a float16 or float32 export of the model`,
    );
  }
  return new SinkLensError(
    'model',
    'no-kernel',
    `onnxruntime ${onnxruntimeVersion}'s ${device} provider has no kernel for ${op}-${version} at ${where} in the types this model uses; export the model with operators and types onnxruntime supports, or try another device`,
  );
}

/**
 * Whether the model stores or computes anything in bfloat16 (weights, inputs, outputs or casts),
 * and whether Sink Lens already rewrote its bfloat16 arithmetic to float32 (graph/bfloat16Compute.ts).
 */
function bfloat16Use(modelPath: string): 'none' | 'bfloat16' | 'computed-in-float32' {
  const source = new FileSource(modelPath);
  try {
    const { graph } = parseModel(source);
    const isBfloat16 = (type: number | null | undefined) => type === DataType.BFloat16;
    const uses =
      [...graph.initializers.values()].some((tensor) => isBfloat16(tensor.dataType)) ||
      [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()].some((info) => isBfloat16(info.elemType)) ||
      graph.nodes.some((node) => node.opType === 'Cast' && Number(node.attributes.get('to')?.i) === DataType.BFloat16);
    if (!uses) return 'none';
    return graph.nodes.some((node) => node.name.startsWith(probeNodePrefix(BFLOAT16_AS_FLOAT32_SCOPE))) ? 'computed-in-float32' : 'bfloat16';
  } catch {
    return 'none'; // it failed to load for this reason, so it parsed before: no reason to fail here
  } finally {
    source.close();
  }
}
