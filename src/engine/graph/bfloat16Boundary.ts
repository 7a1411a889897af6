/**
 * bfloat16 at the graph's boundary. onnxruntime-node's JavaScript Tensor has no bfloat16 type, and
 * creating a session for a model with a bfloat16 graph input or output fails outright
 * ("Unsupported data type: 16"), whatever the device. The probed copy therefore declares each
 * bfloat16 input as float32 and casts it to bfloat16 where it enters the graph, and casts each
 * bfloat16 output to float32 where it leaves; everything in between computes as the model does.
 * An empty KV cache fed as float32 is the same empty tensor in bfloat16.
 */
import { DataType } from '../onnx/proto';
import type { GraphEdits, NodeEdit } from '../onnx/encode';
import type { EditBuilder } from './editBuilder';
import { int } from './editBuilder';
import type { GraphIndex } from './graphIndex';

/** Runs last, after every probe is built: the probes keep reading the model's own bfloat16 tensors. */
export function widenBfloat16Boundary(edits: EditBuilder, graph: GraphIndex, nodeEdits: Map<number, NodeEdit>): NonNullable<GraphEdits['redeclared']> {
  const redeclared = { inputs: new Map(), outputs: new Map() } as NonNullable<GraphEdits['redeclared']>;
  const { outputs } = graph.graph;
  edits.scope = 'bfloat16';

  castInputsFromFloat32(edits, graph, nodeEdits, DataType.BFloat16, redeclared);

  for (const output of outputs) {
    const producer = graph.producer.get(output.name);
    if (output.elemType !== DataType.BFloat16 || !producer) continue;
    // The producer now writes the bfloat16 tensor under another name; the output's name is its float32 copy.
    const original = `${output.name}/sinklens/bfloat16`;
    const edit = nodeEdits.get(producer.index) ?? {};
    edit.outputs = (edit.outputs ?? producer.outputs).map((name) => (name === output.name ? original : name));
    nodeEdits.set(producer.index, edit);
    renameReads(edits, graph, nodeEdits, output.name, original, edits.nodes.length);
    edits.node('Cast', [original], { to: int(DataType.Float) }, output.name);
    redeclared.outputs.set(output.name, { name: output.name, elemType: DataType.Float, shape: output.shape });
  }
  return redeclared;
}

/** Declares each graph input of element type `type` float32 and casts it to `type` where it enters. */
export function castInputsFromFloat32(edits: EditBuilder, graph: GraphIndex, nodeEdits: Map<number, NodeEdit>, type: number, redeclared: NonNullable<GraphEdits['redeclared']>): void {
  for (const input of graph.graph.inputs) {
    if (input.elemType !== type || graph.graph.initializers.has(input.name)) continue;
    const narrowed = edits.node('Cast', [input.name], { to: int(type) });
    renameReads(edits, graph, nodeEdits, input.name, narrowed, edits.nodes.length - 1);
    redeclared.inputs.set(input.name, { name: input.name, elemType: DataType.Float, shape: input.shape });
  }
}

/** Every reader of `from` (the model's nodes, the probe nodes before `addedBefore`, and the probes' subgraphs) reads `to` instead. */
export function renameReads(edits: EditBuilder, graph: GraphIndex, nodeEdits: Map<number, NodeEdit>, from: string, to: string, addedBefore: number): void {
  for (const consumer of graph.consumersOf(from)) {
    const edit = nodeEdits.get(consumer.index) ?? {};
    edit.inputs = (edit.inputs ?? consumer.inputs).map((name) => (name === from ? to : name));
    nodeEdits.set(consumer.index, edit);
  }
  for (const node of [...edits.nodes.slice(0, addedBefore), ...edits.nestedNodes()]) node.inputs = node.inputs.map((name) => (name === from ? to : name));
}
