/**
 * Writing ONNX messages: the probe nodes we add, and the rewritten model around them. The model is
 * re-emitted field by field from the original bytes, so weights are copied as opaque ranges and
 * fields newer than anything we know survive.
 */
import { AttributeType, DataType, OnnxModel } from './proto';
import { WireWriter, fieldsOf } from './wire';

export type AttributeValue =
  | { type: AttributeType.Int; value: number }
  | { type: AttributeType.Ints; value: number[] }
  | { type: AttributeType.Float; value: number };

export interface NewNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

export interface NewTensor {
  name: string;
  dataType: DataType.Int64 | DataType.Float;
  dims: number[];
  values: number[];
}

export interface NewValueInfo {
  name: string;
  elemType: number;
  shape: (number | string)[];
}

export interface GraphEdits {
  /** New inputs for existing nodes, by node index. */
  renamedInputs: Map<number, string[]>;
  nodes: NewNode[];
  initializers: NewTensor[];
  inputs: NewValueInfo[];
  outputs: NewValueInfo[];
}

export function encodeNode(node: NewNode): WireWriter {
  const writer = new WireWriter();
  for (const input of node.inputs) writer.stringField(1, input);
  for (const output of node.outputs) writer.stringField(2, output);
  writer.stringField(3, node.name);
  writer.stringField(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) {
    const encoded = new WireWriter().stringField(1, name);
    if (attribute.type === AttributeType.Int) encoded.varintField(3, attribute.value);
    if (attribute.type === AttributeType.Float) encoded.floatField(2, attribute.value);
    if (attribute.type === AttributeType.Ints) encoded.packedVarintField(8, attribute.value);
    encoded.varintField(20, attribute.type);
    writer.messageField(5, encoded);
  }
  return writer;
}

export function encodeTensor(tensor: NewTensor): WireWriter {
  const writer = new WireWriter();
  if (tensor.dims.length > 0) writer.packedVarintField(1, tensor.dims);
  writer.varintField(2, tensor.dataType);
  writer.stringField(8, tensor.name);
  const raw = new Uint8Array(tensor.values.length * (tensor.dataType === DataType.Int64 ? 8 : 4));
  const view = new DataView(raw.buffer);
  tensor.values.forEach((value, i) => {
    if (tensor.dataType === DataType.Int64) view.setBigInt64(i * 8, BigInt(value), true);
    else view.setFloat32(i * 4, value, true);
  });
  writer.bytesField(9, raw);
  return writer;
}

export function encodeValueInfo(info: NewValueInfo): WireWriter {
  const shape = new WireWriter();
  for (const dim of info.shape) {
    const encoded = new WireWriter();
    if (typeof dim === 'number') encoded.varintField(1, dim);
    else encoded.stringField(2, dim);
    shape.messageField(1, encoded);
  }
  const tensorType = new WireWriter().varintField(1, info.elemType).messageField(2, shape);
  const type = new WireWriter().messageField(1, tensorType);
  return new WireWriter().stringField(1, info.name).messageField(2, type);
}

/** The model with `edits` applied, as chunks (joined by the caller, or written straight to disk). */
export function rewriteModel(model: OnnxModel, edits: GraphEdits): Uint8Array[] {
  const graph = model.graph;
  const graphWriter = new WireWriter();
  let nodeIndex = 0;
  for (const field of graph.fields) {
    if (field.field === 1) {
      const node = graph.nodes[nodeIndex++];
      const inputs = edits.renamedInputs.get(node.index);
      if (inputs) graphWriter.messageField(1, reencodeNodeInputs(graph.bytes, node.field, inputs));
      else graphWriter.raw(graph.bytes.subarray(field.start, field.end));
    } else {
      graphWriter.raw(graph.bytes.subarray(field.start, field.end));
    }
  }
  for (const node of edits.nodes) graphWriter.messageField(1, encodeNode(node));
  for (const tensor of edits.initializers) graphWriter.messageField(5, encodeTensor(tensor));
  for (const input of edits.inputs) graphWriter.messageField(11, encodeValueInfo(input));
  for (const output of edits.outputs) graphWriter.messageField(12, encodeValueInfo(output));

  const modelWriter = new WireWriter();
  for (const field of model.fields) {
    if (field.field === 7) {
      const graphParts = graphWriter.parts();
      modelWriter.lengthDelimitedHeader(7, graphWriter.length);
      for (const part of graphParts) modelWriter.raw(part);
    } else {
      modelWriter.raw(model.bytes.subarray(field.start, field.end));
    }
  }
  return modelWriter.parts();
}

function reencodeNodeInputs(bytes: Uint8Array, field: { dataStart: number; dataEnd: number }, inputs: string[]): WireWriter {
  const writer = new WireWriter();
  for (const input of inputs) writer.stringField(1, input);
  // Every other field of the node, unchanged.
  for (const inner of fieldsOf(bytes, field.dataStart, field.dataEnd)) {
    if (inner.field !== 1) writer.raw(bytes.subarray(inner.start, inner.end));
  }
  return writer;
}

export function concatChunks(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
