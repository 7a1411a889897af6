/**
 * Writing ONNX messages: the probe nodes we add, and the rewritten model around them. The model is
 * re-emitted field by field from the original bytes, so weights are copied as opaque ranges and
 * fields newer than anything we know survive.
 */
import { AttributeType, DataType, OnnxModel } from './proto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ByteSource } from './byteSource';
import { WireWriter, fieldsOf, readString } from './wire';

export type AttributeValue =
  | { type: AttributeType.Int; value: number }
  | { type: AttributeType.Ints; value: number[] }
  | { type: AttributeType.Float; value: number }
  | { type: AttributeType.String; value: string }
  | { type: AttributeType.Graph; value: NewGraph };

/** A subgraph (a Loop or If body); it may read any value of the graphs around it by name. */
export interface NewGraph {
  name: string;
  nodes: NewNode[];
  initializers: NewTensor[];
  inputs: NewValueInfo[];
  outputs: NewValueInfo[];
}

export interface NewNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
  domain?: string;
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
  /** Each dim a size, a symbolic name, or null (unknown); null for an unknown rank. */
  shape: (number | string | null)[] | null;
}

export interface NodeEdit {
  inputs?: string[];
  outputs?: string[];
  /** Attributes to set: each replaces the node's attribute of that name, or is added. */
  attributes?: Record<string, AttributeValue>;
}

export interface GraphEdits {
  /** New inputs or outputs for existing nodes, by node index. */
  nodeEdits: Map<number, NodeEdit>;
  nodes: NewNode[];
  initializers: NewTensor[];
  inputs: NewValueInfo[];
  outputs: NewValueInfo[];
  /**
   * Graph inputs, outputs and value_info entries declared anew (another element type), by name; a
   * value_info entry of a redeclared input or output is dropped unless `valueInfo` declares it
   * too, since it would contradict the new declaration.
   */
  redeclared?: { inputs: Map<string, NewValueInfo>; outputs: Map<string, NewValueInfo>; valueInfo?: Map<string, NewValueInfo> };
}

export function encodeNode(node: NewNode): WireWriter {
  const writer = new WireWriter();
  for (const input of node.inputs) writer.stringField(1, input);
  for (const output of node.outputs) writer.stringField(2, output);
  writer.stringField(3, node.name);
  writer.stringField(4, node.opType);
  if (node.domain) writer.stringField(7, node.domain);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) writer.messageField(5, encodeAttribute(name, attribute));
  return writer;
}

function encodeAttribute(name: string, attribute: AttributeValue): WireWriter {
  const encoded = new WireWriter().stringField(1, name);
  if (attribute.type === AttributeType.Int) encoded.varintField(3, attribute.value);
  if (attribute.type === AttributeType.Float) encoded.floatField(2, attribute.value);
  if (attribute.type === AttributeType.Ints) encoded.packedVarintField(8, attribute.value);
  if (attribute.type === AttributeType.String) encoded.stringField(4, attribute.value);
  if (attribute.type === AttributeType.Graph) encoded.messageField(6, encodeGraph(attribute.value));
  encoded.varintField(20, attribute.type);
  return encoded;
}

function encodeGraph(graph: NewGraph): WireWriter {
  const writer = new WireWriter();
  for (const node of graph.nodes) writer.messageField(1, encodeNode(node));
  writer.stringField(2, graph.name);
  for (const tensor of graph.initializers) writer.messageField(5, encodeTensor(tensor));
  for (const input of graph.inputs) writer.messageField(11, encodeValueInfo(input));
  for (const output of graph.outputs) writer.messageField(12, encodeValueInfo(output));
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
  const tensorType = new WireWriter().varintField(1, info.elemType);
  if (info.shape) {
    const shape = new WireWriter();
    for (const dim of info.shape) {
      const encoded = new WireWriter();
      if (typeof dim === 'number') encoded.varintField(1, dim);
      else if (typeof dim === 'string') encoded.stringField(2, dim);
      shape.messageField(1, encoded);
    }
    tensorType.messageField(2, shape);
  }
  const type = new WireWriter().messageField(1, tensorType);
  return new WireWriter().stringField(1, info.name).messageField(2, type);
}

/** A piece of the rewritten model: new bytes, or a range of the original to copy unchanged. */
export type ModelPiece = Uint8Array | { start: number; end: number };

const pieceLength = (piece: ModelPiece) => (piece instanceof Uint8Array ? piece.length : piece.end - piece.start);

/** The model with `edits` applied, as pieces: untouched fields (weights) are ranges of the original. */
export function rewriteModel(model: OnnxModel, edits: GraphEdits): ModelPiece[] {
  const graph = model.graph;
  const graphPieces: ModelPiece[] = [];
  const redeclared = { 11: edits.redeclared?.inputs, 12: edits.redeclared?.outputs, 13: edits.redeclared?.valueInfo } as Record<number, Map<string, NewValueInfo> | undefined>;
  const inputOrOutput = new Set([...(redeclared[11]?.keys() ?? []), ...(redeclared[12]?.keys() ?? [])]);
  const anyRedeclared = inputOrOutput.size > 0 || (redeclared[13]?.size ?? 0) > 0;
  let nodeIndex = 0;
  for (const field of graph.fields) {
    const edit = field.field === 1 ? edits.nodeEdits.get(nodeIndex++) : undefined;
    if (edit) {
      const node = graph.nodes[nodeIndex - 1];
      graphPieces.push(new WireWriter().messageField(1, reencodeNode(node.payload, edit)).finish());
      continue;
    }
    if ((field.field === 11 || field.field === 12 || field.field === 13) && anyRedeclared) {
      const name = valueInfoName(model, field);
      const replacement = redeclared[field.field]?.get(name);
      if (replacement) graphPieces.push(new WireWriter().messageField(field.field, encodeValueInfo(replacement)).finish());
      if (replacement || (field.field === 13 && inputOrOutput.has(name))) continue;
    }
    graphPieces.push({ start: field.start, end: field.end });
  }
  const additions = new WireWriter();
  for (const node of edits.nodes) additions.messageField(1, encodeNode(node));
  for (const tensor of edits.initializers) additions.messageField(5, encodeTensor(tensor));
  for (const input of edits.inputs) additions.messageField(11, encodeValueInfo(input));
  for (const output of edits.outputs) additions.messageField(12, encodeValueInfo(output));
  graphPieces.push(additions.finish());

  const pieces: ModelPiece[] = [];
  for (const field of model.fields) {
    if (field.field === 7) {
      const length = graphPieces.reduce((sum, piece) => sum + pieceLength(piece), 0);
      pieces.push(new WireWriter().lengthDelimitedHeader(7, length).finish(), ...graphPieces);
    } else {
      pieces.push({ start: field.start, end: field.end });
    }
  }
  return pieces;
}

function valueInfoName(model: OnnxModel, field: { dataStart: number; dataEnd: number }): string {
  const bytes = model.source.read(field.dataStart, field.dataEnd);
  const name = fieldsOf(bytes).find((inner) => inner.field === 1);
  return name ? readString(bytes, name) : '';
}

/** The node with its inputs, outputs and/or some attributes replaced; every other field is copied as it was. */
function reencodeNode(payload: Uint8Array, edit: NodeEdit): WireWriter {
  const writer = new WireWriter();
  const fields = fieldsOf(payload);
  const copy = (number: number) => {
    for (const inner of fields) if (inner.field === number) writer.raw(payload.subarray(inner.start, inner.end));
  };
  if (edit.inputs) for (const input of edit.inputs) writer.stringField(1, input);
  else copy(1);
  if (edit.outputs) for (const output of edit.outputs) writer.stringField(2, output);
  else copy(2);
  const replaced = new Set(Object.keys(edit.attributes ?? {}));
  for (const inner of fields) {
    if (inner.field === 1 || inner.field === 2) continue;
    if (inner.field === 5 && replaced.size > 0 && replaced.has(attributeName(payload, inner))) continue;
    writer.raw(payload.subarray(inner.start, inner.end));
  }
  for (const [name, attribute] of Object.entries(edit.attributes ?? {})) writer.messageField(5, encodeAttribute(name, attribute));
  return writer;
}

function attributeName(payload: Uint8Array, field: { dataStart: number; dataEnd: number }): string {
  const name = fieldsOf(payload, field.dataStart, field.dataEnd).find((inner) => inner.field === 1);
  return name ? readString(payload, name) : '';
}

/** The rewritten model in memory (small models and tests). */
export function materialize(source: ByteSource, pieces: ModelPiece[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + pieceLength(piece), 0));
  let offset = 0;
  for (const piece of pieces) {
    const bytes = piece instanceof Uint8Array ? piece : source.read(piece.start, piece.end);
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

const COPY_CHUNK = 16 << 20;

/** Writes the rewritten model to `path`, streaming the original's ranges in bounded chunks. */
export function writeModel(source: ByteSource, pieces: ModelPiece[], path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const piece of pieces) {
      if (piece instanceof Uint8Array) {
        writeSync(fd, piece);
        continue;
      }
      for (let start = piece.start; start < piece.end; start += COPY_CHUNK) {
        writeSync(fd, source.read(start, Math.min(start + COPY_CHUNK, piece.end)));
      }
    }
  } finally {
    closeSync(fd);
  }
}
