/** Accumulates the nodes, constants and outputs that Sink Lens adds to a model's graph. */
import { AttributeType, DataType } from '../onnx/proto';
import type { AttributeValue, NewNode, NewTensor, NewValueInfo } from '../onnx/encode';

/** Prefix of the names of the nodes that compute layer `scope`'s probes (`layer3`), or other additions (`maps`). */
export const probeNodePrefix = (scope: string) => `sinklens/${scope}/`;

export const int = (value: number): AttributeValue => ({ type: AttributeType.Int, value });
export const ints = (value: number[]): AttributeValue => ({ type: AttributeType.Ints, value });
export const text = (value: string): AttributeValue => ({ type: AttributeType.String, value });

export class EditBuilder {
  readonly nodes: NewNode[] = [];
  readonly initializers: NewTensor[] = [];
  readonly outputs: NewValueInfo[] = [];
  /** Node names carry the layer whose probes they compute, so that profiles can be read. */
  scope = 'setup';
  private counter = 0;

  constructor(readonly opset: number) {}

  node(opType: string, inputs: string[], attributes?: NewNode['attributes'], output?: string, domain?: string): string {
    const name = output ?? `sinklens/t${this.counter++}`;
    this.nodes.push({ opType, inputs, outputs: [name], name: `${probeNodePrefix(this.scope)}${opType}_${this.nodes.length}`, attributes, domain });
    return name;
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const name = `sinklens/c${this.counter++}`;
    this.initializers.push({ name, dataType: DataType.Int64, dims, values });
    return name;
  }

  float(values: number[], dims: number[] = [values.length]): string {
    const name = `sinklens/c${this.counter++}`;
    this.initializers.push({ name, dataType: DataType.Float, dims, values });
    return name;
  }

  toFloat(tensor: string, elemType: number, output?: string): string {
    if (elemType === DataType.Float) return output ? this.node('Identity', [tensor], undefined, output) : tensor;
    return this.node('Cast', [tensor], { to: int(DataType.Float) }, output);
  }

  /** A node whose result leaves the graph as float32, whatever the model computes in. */
  floatOutput(opType: string, inputs: string[], attributes: NewNode['attributes'], elemType: number, output: string): string {
    if (elemType === DataType.Float) return this.node(opType, inputs, attributes, output);
    return this.toFloat(this.node(opType, inputs, attributes), elemType, output);
  }

  /** L2 norm over the last axis in float32: [B, T, D] → [B, T] (or [B, T, 1] with `keepDims`). */
  lastAxisNorm(tensor: string, elemType: number, output?: string, keepDims = false): string {
    const input = this.toFloat(tensor, elemType);
    const keepdims = int(keepDims ? 1 : 0);
    if (this.opset >= 18) return this.node('ReduceL2', [input, this.int64([-1])], { keepdims }, output);
    return this.node('ReduceL2', [input], { axes: ints([-1]), keepdims }, output);
  }

  /** A [1] int64 tensor that is always 0 but can only be computed after `tensor` exists. */
  zeroAfter(tensor: string, dynamicAxis: number): string {
    const size = this.node('Gather', [this.node('Shape', [tensor]), this.int64([dynamicAxis])], { axis: int(0) });
    return this.node('Mul', [size, this.int64([0])]);
  }

  output(name: string, shape: (number | string)[]): void {
    this.outputs.push({ name, elemType: DataType.Float, shape });
  }
}
