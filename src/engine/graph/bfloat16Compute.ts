/**
 * bfloat16 arithmetic on a provider that has none. onnxruntime 1.30's CPU provider has bfloat16
 * kernels only for moving data and for the LayerNormalization family (CPU_BFLOAT16_KERNELS), so a
 * model that computes in bfloat16 cannot run there as it is. The probed copy for the CPU computes
 * such a model in float32 instead, without reading a weight:
 *  - every bfloat16 initializer stays as it is stored (inline or in external data); its readers
 *    read a Cast of it to float32, which is exact (bfloat16 is float32's upper half);
 *  - a Constant or ConstantOfShape whose value is bfloat16 writes under another name, and a Cast to
 *    float32 gives its output the original name;
 *  - every type-valued attribute that says bfloat16 (Cast `to`, `dtype`, `output_dtype`, …) says
 *    float32, so casts to bfloat16 become casts to float32;
 *  - bfloat16 graph inputs, outputs and value_info entries are declared float32.
 * Every other operator takes its type from its inputs, so nothing computes in bfloat16 any more.
 * The values differ from a bfloat16 run only in that intermediate results are not rounded to
 * bfloat16. What cannot be widened this way (a subgraph, a bfloat16 tensor attribute of another
 * operator) is refused, naming the node.
 */
import { SinkLensError } from '../errors';
import type { GraphEdits, NewValueInfo, NodeEdit } from '../onnx/encode';
import { AttributeType, DataType, OnnxNode } from '../onnx/proto';
import { renameReads } from './bfloat16Boundary';
import type { EditBuilder } from './editBuilder';
import { int } from './editBuilder';
import type { GraphIndex } from './graphIndex';
import type { TensorTypes } from './tensorTypes';

/** Operators (domain.op) with bfloat16 kernels in onnxruntime 1.30's CPU provider, measured one at a time; Constant has no kernel (it is an initializer). */
export const CPU_BFLOAT16_KERNELS = new Set([
  'Cast',
  'Gather',
  'Reshape',
  'Transpose',
  'Concat',
  'Slice',
  'Split',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Shape',
  'ConstantOfShape',
  'Constant',
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'com.microsoft.SkipLayerNormalization',
  'com.microsoft.SkipSimplifiedLayerNormalization',
]);

/** Attributes whose value is an element type (TensorProto.DataType). */
const TYPE_ATTRIBUTES = new Set(['to', 'dtype', 'output_dtype', 'softmax_precision', 'stash_type']);
/** AttributeProto types that hold graphs (GRAPH, GRAPHS): bodies this reader does not parse. */
const GRAPH_ATTRIBUTES = new Set([5, 10]);

/** The scope (node-name prefix, editBuilder.ts) of the nodes this rewrite adds. */
export const BFLOAT16_AS_FLOAT32_SCOPE = 'bfloat16-as-float32';

const qualified = (node: OnnxNode) => (node.domain ? `${node.domain}.${node.opType}` : node.opType);
const nodeName = (node: OnnxNode) => node.name || node.outputs[0] || `#${node.index}`;

/** The first node that computes in bfloat16 where the CPU provider has no bfloat16 kernel, or null. */
export function firstBfloat16Arithmetic(graph: GraphIndex, types: TensorTypes): OnnxNode | null {
  for (const node of graph.graph.nodes) {
    if (CPU_BFLOAT16_KERNELS.has(qualified(node))) continue;
    if ([...node.inputs, ...node.outputs].some((tensor) => tensor !== '' && types.of(tensor) === DataType.BFloat16)) return node;
  }
  return null;
}

/** The error for a bfloat16 model that the float32 widening cannot cover; `what` says what and where. */
export function cannotWiden(what: string): SinkLensError {
  return new SinkLensError(
    'model',
    'no-bfloat16-kernel',
    `this model computes in bfloat16, which onnxruntime's CPU provider has no kernels for, and Sink Lens cannot compute it in float32 instead: ${what}; run it on CUDA (device cuda), or analyse a float16 or float32 export of the model`,
  );
}

const atNode = (node: OnnxNode) => `at node '${nodeName(node)}' (${qualified(node)})`;

/**
 * Rewrites the model's own nodes (through `nodeEdits`) and the probe nodes built so far so that the
 * graph computes in float32; runs last, in place of the bfloat16 boundary, which it makes unneeded.
 */
export function computeBfloat16InFloat32(edits: EditBuilder, graph: GraphIndex, nodeEdits: Map<number, NodeEdit>): NonNullable<GraphEdits['redeclared']> {
  const { inputs, outputs, initializers, valueInfo } = graph.graph;
  const outputNames = new Set(outputs.map((output) => output.name));
  edits.scope = BFLOAT16_AS_FLOAT32_SCOPE;

  for (const node of graph.graph.nodes) {
    const edit = nodeEdits.get(node.index) ?? {};
    for (const attribute of node.attributes.values()) {
      if (GRAPH_ATTRIBUTES.has(attribute.type)) throw cannotWiden(`it cannot see into the subgraph '${attribute.name}' ${atNode(node)}`);
      if (attribute.type === AttributeType.Int && TYPE_ATTRIBUTES.has(attribute.name) && Number(attribute.i) === DataType.BFloat16) {
        edit.attributes = { ...edit.attributes, [attribute.name]: int(DataType.Float) };
      }
      if (attribute.type === AttributeType.Tensor && attribute.t?.dataType === DataType.BFloat16) {
        if (node.opType !== 'Constant' && node.opType !== 'ConstantOfShape') throw cannotWiden(`the bfloat16 tensor attribute '${attribute.name}' ${atNode(node)} has no float32 form`);
        // The node keeps its bfloat16 value under another name; the original name is its float32 copy.
        const value = node.outputs[0];
        edit.outputs = (edit.outputs ?? node.outputs).map((name) => (name === value ? `${value}/sinklens/bfloat16` : name));
        edits.node('Cast', [`${value}/sinklens/bfloat16`], { to: int(DataType.Float) }, value);
      }
    }
    if (edit.attributes || edit.outputs) nodeEdits.set(node.index, edit);
  }

  for (const [name, tensor] of initializers) {
    if (tensor.dataType !== DataType.BFloat16) continue;
    if (outputNames.has(name)) throw cannotWiden(`the bfloat16 weight '${name}' is itself a graph output`);
    if (graph.consumersOf(name).length === 0 && ![...edits.nodes, ...edits.nestedNodes()].some((added) => added.inputs.includes(name))) continue;
    const widened = edits.node('Cast', [name], { to: int(DataType.Float) }, `${name}/sinklens/float32`);
    renameReads(edits, graph, nodeEdits, name, widened, edits.nodes.length - 1);
  }

  const asFloat = (info: { name: string; shape: NewValueInfo['shape'] }): NewValueInfo => ({ name: info.name, elemType: DataType.Float, shape: info.shape });
  const redeclared = { inputs: new Map<string, NewValueInfo>(), outputs: new Map<string, NewValueInfo>(), valueInfo: new Map<string, NewValueInfo>() };
  for (const input of inputs) if (input.elemType === DataType.BFloat16 && !initializers.has(input.name)) redeclared.inputs.set(input.name, asFloat(input));
  for (const output of outputs) if (output.elemType === DataType.BFloat16) redeclared.outputs.set(output.name, asFloat(output));
  for (const info of valueInfo.values()) if (info.elemType === DataType.BFloat16) redeclared.valueInfo.set(info.name, asFloat(info));
  return redeclared;
}
