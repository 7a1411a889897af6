/**
 * Writes a whole ONNX ModelProto from scratch: nodes, small inline constants, and initializers
 * whose data stays EXTERNAL, at a byte range of a file beside the model (the checkpoint's own
 * safetensors shards). Field numbers are those of onnx/onnx.proto; encoding goes through the same
 * wire writer as the probe edits.
 */
import { encodeNode, encodeTensor, encodeValueInfo, NewNode, NewTensor, NewValueInfo } from '../onnx/encode';
import { DataType } from '../onnx/proto';
import { WireWriter } from '../onnx/wire';

export const IR_VERSION = 8;

export interface ExternalTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** A file name beside the model, and the tensor's byte range in it. */
  location: string;
  offset: number;
  length: number;
}

export class OnnxGraphWriter {
  private readonly nodes: NewNode[] = [];
  private readonly constants: NewTensor[] = [];
  private readonly external: ExternalTensor[] = [];
  private readonly inputs: NewValueInfo[] = [];
  private readonly outputs: NewValueInfo[] = [];
  private readonly constantNames = new Map<string, string>();
  private counter = 0;
  /** Prefix of the names of the nodes and tensors being added (the HF module they compute). */
  scope = 'model';

  node(opType: string, inputs: string[], attributes?: NewNode['attributes'], output?: string): string {
    return this.nodeWithOutputs(opType, inputs, 1, attributes, output ? [output] : undefined)[0];
  }

  nodeWithOutputs(opType: string, inputs: string[], count: number, attributes?: NewNode['attributes'], names?: string[]): string[] {
    const index = this.counter++;
    const outputs = names ?? Array.from({ length: count }, (_, i) => `${this.scope}/${opType}_${index}${count > 1 ? `_${i}` : ''}`);
    this.nodes.push({ opType, inputs, outputs, name: `${this.scope}/${opType}_${index}`, attributes });
    return outputs;
  }

  /** A float32 constant, shared by every use of the same values. */
  floats(values: number[], dims: number[] = [values.length]): string {
    return this.constant(DataType.Float, values, dims);
  }

  int64s(values: number[], dims: number[] = [values.length]): string {
    return this.constant(DataType.Int64, values, dims);
  }

  externalTensor(tensor: ExternalTensor): string {
    this.external.push(tensor);
    return tensor.name;
  }

  input(info: NewValueInfo): string {
    this.inputs.push(info);
    return info.name;
  }

  output(info: NewValueInfo): void {
    this.outputs.push(info);
  }

  encode(opset: number, metadata: Record<string, string>): Uint8Array {
    const graph = new WireWriter();
    for (const node of this.nodes) graph.messageField(1, encodeNode(node));
    graph.stringField(2, 'sink-lens-hf-checkpoint');
    for (const tensor of this.constants) graph.messageField(5, encodeTensor(tensor));
    for (const tensor of this.external) graph.messageField(5, encodeExternalTensor(tensor));
    for (const input of this.inputs) graph.messageField(11, encodeValueInfo(input));
    for (const output of this.outputs) graph.messageField(12, encodeValueInfo(output));
    const model = new WireWriter().varintField(1, IR_VERSION).stringField(2, 'sink-lens').messageField(7, graph);
    model.messageField(8, new WireWriter().stringField(1, '').varintField(2, opset));
    for (const [key, value] of Object.entries(metadata)) model.messageField(14, new WireWriter().stringField(1, key).stringField(2, value));
    return model.finish();
  }

  private constant(dataType: DataType.Float | DataType.Int64, values: number[], dims: number[]): string {
    const key = `${dataType}:${dims.join('x')}:${values.join(',')}`;
    const known = this.constantNames.get(key);
    if (known) return known;
    const name = `const/${this.constants.length}`;
    this.constants.push({ name, dataType, dims, values });
    this.constantNames.set(key, name);
    return name;
  }
}

function encodeExternalTensor(tensor: ExternalTensor): WireWriter {
  const writer = new WireWriter();
  if (tensor.dims.length > 0) writer.packedVarintField(1, tensor.dims);
  writer.varintField(2, tensor.dataType);
  writer.stringField(8, tensor.name);
  const entry = (key: string, value: string) => new WireWriter().stringField(1, key).stringField(2, value);
  writer.messageField(13, entry('location', tensor.location));
  writer.messageField(13, entry('offset', String(tensor.offset)));
  writer.messageField(13, entry('length', String(tensor.length)));
  writer.varintField(14, 1); // data_location: EXTERNAL
  return writer;
}
