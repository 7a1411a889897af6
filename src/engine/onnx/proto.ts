/**
 * A lazy view of an ONNX ModelProto: nodes, inputs, outputs and initializer headers are decoded;
 * tensor payloads, functions and every field we do not need stay as byte ranges of the original
 * buffer. Field numbers are those of onnx/onnx.proto.
 */
import { ByteSource, MemorySource } from './byteSource';
import { WireField, WireWriter, fieldsOf, readPackedVarints, readSignedVarint, readString, scanFields, WireType } from './wire';

export const enum DataType {
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  BFloat16 = 16,
}

// prettier-ignore
export const DATA_TYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

export const enum AttributeType {
  Float = 1,
  Int = 2,
  String = 3,
  Tensor = 4,
  Graph = 5,
  Floats = 6,
  Ints = 7,
}

export interface TensorHeader {
  name: string;
  dims: number[];
  dataType: number;
  external: boolean;
  /** For external tensors: the data file, relative to the model. */
  location: string | null;
  /** The encoded TensorProto, for reading small constant values; null for large tensors, never read. */
  bytes: Uint8Array | null;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: bigint;
  s?: string;
  ints?: bigint[];
  floats?: number[];
  t?: TensorHeader;
}

export interface OnnxNode {
  /** Position in the graph's node list. */
  index: number;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
  /** The encoded NodeProto, for re-encoding it with other inputs. */
  payload: Uint8Array;
}

export interface ValueInfo {
  name: string;
  elemType: number | null;
  /** null when the rank is unknown; each dim a size, a symbolic name, or null. */
  shape: (number | string | null)[] | null;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, TensorHeader>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: Map<string, ValueInfo>;
  /** Every field of the GraphProto, in order, at absolute positions of the source. */
  fields: WireField[];
}

export interface OnnxModel {
  source: ByteSource;
  irVersion: number;
  producerName: string;
  opsets: Map<string, number>;
  metadata: Map<string, string>;
  graph: OnnxGraph;
  /** Top-level fields of the ModelProto, in order, at absolute positions of the source. */
  fields: WireField[];
}

/** Payloads above this size are never read: they are weights. */
const LARGE_PAYLOAD = 1 << 16;

export class OnnxFormatError extends Error {}

export function parseModel(input: ByteSource | Uint8Array): OnnxModel {
  const source = input instanceof Uint8Array ? new MemorySource(input) : input;
  const fields = [...scanFields(source, 0, source.length)];
  let irVersion = 0;
  let producerName = '';
  const opsets = new Map<string, number>();
  const metadata = new Map<string, string>();
  let graph: OnnxGraph | undefined;
  const payload = (field: WireField) => source.read(field.dataStart, field.dataEnd);
  for (const field of fields) {
    switch (field.field) {
      case 1:
        irVersion = field.value;
        break;
      case 2:
        producerName = new TextDecoder().decode(payload(field));
        break;
      case 7:
        expectLengthDelimited(field, 'ModelProto.graph');
        graph = parseGraph(source, field);
        break;
      case 8: {
        const [domain, version] = parseOpset(payload(field));
        opsets.set(domain, version);
        break;
      }
      case 14: {
        const [key, value] = parseStringEntry(payload(field));
        metadata.set(key, value);
        break;
      }
    }
  }
  if (!graph) throw new OnnxFormatError('the file has no graph (ModelProto.graph is missing)');
  if (irVersion === 0) throw new OnnxFormatError('the file has no ir_version, so it is not an ONNX model');
  return { source, irVersion, producerName, opsets, metadata, graph, fields };
}

function expectLengthDelimited(field: WireField, what: string): void {
  if (field.wireType !== WireType.LengthDelimited) throw new OnnxFormatError(`${what} has the wrong wire type`);
}

function parseOpset(bytes: Uint8Array): [string, number] {
  let domain = '';
  let version = 0;
  for (const inner of fieldsOf(bytes)) {
    if (inner.field === 1) domain = readString(bytes, inner);
    if (inner.field === 2) version = inner.value;
  }
  return [domain === 'ai.onnx' ? '' : domain, version];
}

function parseStringEntry(bytes: Uint8Array): [string, string] {
  let key = '';
  let value = '';
  for (const inner of fieldsOf(bytes)) {
    if (inner.field === 1) key = readString(bytes, inner);
    if (inner.field === 2) value = readString(bytes, inner);
  }
  return [key, value];
}

function parseGraph(source: ByteSource, graphField: WireField): OnnxGraph {
  const fields = [...scanFields(source, graphField.dataStart, graphField.dataEnd)];
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: new Map(), fields };
  for (const field of fields) {
    switch (field.field) {
      case 1:
        graph.nodes.push(parseNode(source.read(field.dataStart, field.dataEnd), graph.nodes.length));
        break;
      case 5: {
        const tensor = readTensorHeader(source, field);
        graph.initializers.set(tensor.name, tensor);
        break;
      }
      case 11:
        graph.inputs.push(parseValueInfo(source.read(field.dataStart, field.dataEnd)));
        break;
      case 12:
        graph.outputs.push(parseValueInfo(source.read(field.dataStart, field.dataEnd)));
        break;
      case 13: {
        const info = parseValueInfo(source.read(field.dataStart, field.dataEnd));
        graph.valueInfo.set(info.name, info);
        break;
      }
    }
  }
  return graph;
}

/** An initializer's name, shape and type, reading its data only when it is small. */
function readTensorHeader(source: ByteSource, field: WireField): TensorHeader {
  if (field.dataEnd - field.dataStart <= LARGE_PAYLOAD) return parseTensorHeader(source.read(field.dataStart, field.dataEnd));
  const small = new WireWriter();
  for (const inner of scanFields(source, field.dataStart, field.dataEnd)) {
    if (inner.end - inner.start <= LARGE_PAYLOAD) small.raw(source.read(inner.start, inner.end));
  }
  return { ...parseTensorHeader(small.finish()), bytes: null };
}

function parseNode(bytes: Uint8Array, index: number): OnnxNode {
  const node: OnnxNode = { index, name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map(), payload: bytes };
  for (const inner of fieldsOf(bytes)) {
    switch (inner.field) {
      case 1:
        node.inputs.push(readString(bytes, inner));
        break;
      case 2:
        node.outputs.push(readString(bytes, inner));
        break;
      case 3:
        node.name = readString(bytes, inner);
        break;
      case 4:
        node.opType = readString(bytes, inner);
        break;
      case 5: {
        const attribute = parseAttribute(bytes, inner);
        node.attributes.set(attribute.name, attribute);
        break;
      }
      case 7:
        node.domain = readString(bytes, inner);
        break;
    }
  }
  if (node.domain === 'ai.onnx') node.domain = '';
  return node;
}

function parseAttribute(bytes: Uint8Array, field: WireField): OnnxAttribute {
  const attribute: OnnxAttribute = { name: '', type: 0 };
  for (const inner of fieldsOf(bytes, field.dataStart, field.dataEnd)) {
    switch (inner.field) {
      case 1:
        attribute.name = readString(bytes, inner);
        break;
      case 20:
        attribute.type = inner.value;
        break;
      case 2:
        attribute.f = new DataView(bytes.buffer, bytes.byteOffset + inner.dataStart).getFloat32(0, true);
        break;
      case 3:
        attribute.i = readSignedVarint(bytes, inner);
        break;
      case 4:
        attribute.s = readString(bytes, inner);
        break;
      case 5:
        attribute.t = parseTensorHeader(bytes.subarray(inner.dataStart, inner.dataEnd));
        break;
      case 7:
        attribute.floats ??= [];
        if (inner.wireType === WireType.LengthDelimited) {
          const view = new DataView(bytes.buffer, bytes.byteOffset + inner.dataStart, inner.dataEnd - inner.dataStart);
          for (let offset = 0; offset + 4 <= view.byteLength; offset += 4) attribute.floats.push(view.getFloat32(offset, true));
        } else {
          attribute.floats.push(new DataView(bytes.buffer, bytes.byteOffset + inner.dataStart).getFloat32(0, true));
        }
        break;
      case 8:
        attribute.ints ??= [];
        if (inner.wireType === WireType.LengthDelimited) attribute.ints.push(...readPackedVarints(bytes, inner.dataStart, inner.dataEnd));
        else attribute.ints.push(readSignedVarint(bytes, inner));
        break;
    }
  }
  return attribute;
}

export function parseTensorHeader(bytes: Uint8Array): TensorHeader {
  const tensor: TensorHeader = { name: '', dims: [], dataType: 0, external: false, location: null, bytes };
  for (const field of fieldsOf(bytes)) {
    switch (field.field) {
      case 1:
        if (field.wireType === WireType.LengthDelimited) {
          tensor.dims.push(...readPackedVarints(bytes, field.dataStart, field.dataEnd).map(Number));
        } else {
          tensor.dims.push(field.value);
        }
        break;
      case 2:
        tensor.dataType = field.value;
        break;
      case 8:
        tensor.name = readString(bytes, field);
        break;
      case 13: {
        const [key, value] = parseStringEntry(bytes.subarray(field.dataStart, field.dataEnd));
        if (key === 'location') tensor.location = value;
        break;
      }
      case 14:
        tensor.external = field.value === 1;
        break;
    }
  }
  return tensor;
}

/** The data files that external-data tensors of the graph name (relative to the model). */
export function externalDataLocations(graph: OnnxGraph): Set<string> {
  const locations = new Set<string>();
  for (const tensor of graph.initializers.values()) if (tensor.external && tensor.location) locations.add(tensor.location);
  return locations;
}

/** Values of a small numeric tensor (a Constant's value or a shape initializer). */
export function tensorValues(tensor: TensorHeader): number[] {
  if (tensor.external) throw new OnnxFormatError(`tensor ${tensor.name} keeps its data in an external file`);
  const bytes = tensor.bytes;
  if (!bytes) throw new OnnxFormatError(`tensor ${tensor.name} is too large to read as constant values`);
  for (const field of fieldsOf(bytes)) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + field.dataStart, field.dataEnd - field.dataStart);
    if (field.field === 9) return decodeRaw(view, tensor.dataType);
    if (field.field === 4) return floatsOf(view);
    if ((field.field === 7 || field.field === 5) && field.wireType === WireType.LengthDelimited) {
      return readPackedVarints(bytes, field.dataStart, field.dataEnd).map(Number);
    }
    if ((field.field === 7 || field.field === 5) && field.wireType === WireType.Varint) {
      return fieldsOf(bytes)
        .filter((f) => f.field === field.field)
        .map((f) => Number(readSignedVarint(bytes, f)));
    }
  }
  return [];
}

function floatsOf(view: DataView): number[] {
  const values: number[] = [];
  for (let offset = 0; offset + 4 <= view.byteLength; offset += 4) values.push(view.getFloat32(offset, true));
  return values;
}

function decodeRaw(view: DataView, dataType: number): number[] {
  const values: number[] = [];
  switch (dataType) {
    case DataType.Float:
      return floatsOf(view);
    case DataType.Double:
      for (let o = 0; o + 8 <= view.byteLength; o += 8) values.push(view.getFloat64(o, true));
      return values;
    case DataType.Int64:
      for (let o = 0; o + 8 <= view.byteLength; o += 8) values.push(Number(view.getBigInt64(o, true)));
      return values;
    case DataType.Int32:
      for (let o = 0; o + 4 <= view.byteLength; o += 4) values.push(view.getInt32(o, true));
      return values;
    case DataType.Bool:
    case DataType.Uint8:
      for (let o = 0; o < view.byteLength; o++) values.push(view.getUint8(o));
      return values;
    case DataType.Int8:
      for (let o = 0; o < view.byteLength; o++) values.push(view.getInt8(o));
      return values;
    default:
      throw new OnnxFormatError(`cannot read constant values of data type ${DATA_TYPE_NAMES[dataType] ?? dataType}`);
  }
}

function parseValueInfo(bytes: Uint8Array): ValueInfo {
  const info: ValueInfo = { name: '', elemType: null, shape: null };
  for (const inner of fieldsOf(bytes)) {
    if (inner.field === 1) info.name = readString(bytes, inner);
    if (inner.field !== 2) continue;
    for (const type of fieldsOf(bytes, inner.dataStart, inner.dataEnd)) {
      if (type.field !== 1) continue; // only tensor types matter here
      for (const tensor of fieldsOf(bytes, type.dataStart, type.dataEnd)) {
        if (tensor.field === 1) info.elemType = tensor.value;
        if (tensor.field === 2) {
          info.shape = [];
          for (const dim of fieldsOf(bytes, tensor.dataStart, tensor.dataEnd)) {
            if (dim.field !== 1) continue;
            let size: number | string | null = null;
            for (const part of fieldsOf(bytes, dim.dataStart, dim.dataEnd)) {
              if (part.field === 1) size = part.value;
              if (part.field === 2) size = readString(bytes, part);
            }
            info.shape.push(size);
          }
        }
      }
    }
  }
  return info;
}
