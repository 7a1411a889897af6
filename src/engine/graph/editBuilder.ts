/** Accumulates the nodes, constants and outputs that Sink Lens adds to a model's graph. */
import { AttributeType, DataType } from '../onnx/proto';
import type { AttributeValue, NewGraph, NewNode, NewTensor, NewValueInfo } from '../onnx/encode';

/** Prefix of the names of the nodes that compute layer `scope`'s probes (`layer3`), or other additions (`maps`). */
export const probeNodePrefix = (scope: string) => `sinklens/${scope}/`;

export const int = (value: number): AttributeValue => ({ type: AttributeType.Int, value });
export const graph = (value: NewGraph): AttributeValue => ({ type: AttributeType.Graph, value });
export const ints = (value: number[]): AttributeValue => ({ type: AttributeType.Ints, value });
export const text = (value: string): AttributeValue => ({ type: AttributeType.String, value });

export class EditBuilder {
  readonly nodes: NewNode[] = [];
  readonly initializers: NewTensor[] = [];
  readonly outputs: NewValueInfo[] = [];
  /** The builders of the subgraphs made from this one (body()). */
  readonly bodies: EditBuilder[] = [];
  /** Node names carry the layer whose probes they compute, so that profiles can be read. */
  scope = 'setup';
  /** Shared with every body, so that names are unique across the whole model. */
  private readonly names: { next: number };

  constructor(
    readonly opset: number,
    parent?: EditBuilder,
  ) {
    this.names = parent?.names ?? { next: 0 };
    if (parent) this.scope = parent.scope;
  }

  /**
   * A builder for a subgraph body (of a Loop or If), with its own nodes and constants; the body
   * reads the values of the graphs around it by name. onnxruntime plans each graph's memory on its
   * own, and that planner's work grows faster than the number of values in one graph.
   */
  body(): EditBuilder {
    const child = new EditBuilder(this.opset, this);
    this.bodies.push(child);
    return child;
  }

  /** Every node of every subgraph made from this builder, however deep. */
  nestedNodes(): NewNode[] {
    return this.bodies.flatMap((body) => [...body.nodes, ...body.nestedNodes()]);
  }

  /** A fresh value name (a subgraph's input, say). */
  name(): string {
    return `sinklens/t${this.names.next++}`;
  }

  node(opType: string, inputs: string[], attributes?: NewNode['attributes'], output?: string, domain?: string): string {
    const name = output ?? this.name();
    this.nodes.push({ opType, inputs, outputs: [name], name: `${probeNodePrefix(this.scope)}${opType}_${this.names.next++}`, attributes, domain });
    return name;
  }

  /** A node with several outputs (TopK's values and indices); unused ones still get names. */
  nodeOutputs(opType: string, inputs: string[], count: number, attributes?: NewNode['attributes'], names?: string[]): string[] {
    const outputs = names ?? Array.from({ length: count }, () => this.name());
    this.nodes.push({ opType, inputs, outputs, name: `${probeNodePrefix(this.scope)}${opType}_${this.names.next++}`, attributes });
    return outputs;
  }

  /** A Reduce* node over `axes`, written as the model's opset wants them (an attribute, or an input from opset 13 / 18). */
  reduce(opType: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceL2', tensor: string, axes: number[], keepDims: boolean, output?: string): string {
    const keepdims = int(keepDims ? 1 : 0);
    const axesAsInput = this.opset >= (opType === 'ReduceSum' ? 13 : 18);
    if (axesAsInput) return this.node(opType, [tensor, this.int64(axes)], { keepdims }, output);
    return this.node(opType, [tensor], { axes: ints(axes), keepdims }, output);
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const name = `sinklens/c${this.names.next++}`;
    this.initializers.push({ name, dataType: DataType.Int64, dims, values });
    return name;
  }

  float(values: number[], dims: number[] = [values.length]): string {
    const name = `sinklens/c${this.names.next++}`;
    this.initializers.push({ name, dataType: DataType.Float, dims, values });
    return name;
  }

  toFloat(tensor: string, elemType: number, output?: string): string {
    if (elemType === DataType.Float) return output ? this.node('Identity', [tensor], undefined, output) : tensor;
    return this.node('Cast', [tensor], { to: int(DataType.Float) }, output);
  }

  /** L2 norm over the last axis in float32: [B, T, D] → [B, T] (or [B, T, 1] with `keepDims`). */
  lastAxisNorm(tensor: string, elemType: number, output?: string, keepDims = false): string {
    return this.reduce('ReduceL2', this.toFloat(tensor, elemType), [-1], keepDims, output);
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
