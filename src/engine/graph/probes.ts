/**
 * Adds the measurements to the graph itself, so that only small tensors leave onnxruntime:
 * per-token L2 norms of every residual depth and MLP activation, attention to key 0, the first
 * positions' hidden states, and (on request) one layer's full attention map.
 *
 * ORT schedules leaf nodes last, which would keep every layer's [B,H,T,T] map alive until the end
 * of the run. Each block's output is therefore re-routed through a no-op Reshape whose target shape
 * depends (through Shape, times zero) on that block's probes: the probes must run before the next
 * block starts, and each map is freed as early as in a plain forward pass.
 */
import { AttributeType, DataType, OnnxModel } from '../onnx/proto';
import type { GraphEdits, NewNode, NewTensor, NewValueInfo } from '../onnx/encode';
import type { DecoderLayout } from './decoderLayout';

export const PROBE_INPUTS = {
  /** How many leading positions' full hidden states to return at every depth (default 1: P0). */
  prefixLength: 'sinklens_prefix_length',
  /** The layer whose full attention map to return; -1 (default) for none. */
  mapLayer: 'sinklens_map_layer',
} as const;

export const probeOutputs = {
  norm: (depthIndex: number) => `sinklens/norm/${depthIndex}`,
  hidden: (depthIndex: number) => `sinklens/hidden/${depthIndex}`,
  firstTokenAttention: (layer: number) => `sinklens/attn0/${layer}`,
  mlpNorm: (layer: number) => `sinklens/mlp_norm/${layer}`,
  attentionMap: 'sinklens/attention_map',
};

/** Prefix of the names of the nodes that compute layer `scope`'s probes (`layer3`), or the map concat (`maps`). */
export const probeNodePrefix = (scope: string) => `sinklens/${scope}/`;

interface ProbeTensor {
  name: string;
  /** An axis whose size is only known at run time, so ORT cannot fold the dependency away. */
  dynamicAxis: number;
}

class EditBuilder {
  readonly nodes: NewNode[] = [];
  readonly initializers: NewTensor[] = [];
  readonly outputs: NewValueInfo[] = [];
  /** Node names carry the layer whose probes they compute, so that profiles can be read. */
  scope = 'setup';
  private counter = 0;

  constructor(private readonly opset: number) {}

  node(opType: string, inputs: string[], attributes?: NewNode['attributes'], output?: string): string {
    const name = output ?? `sinklens/t${this.counter++}`;
    this.nodes.push({ opType, inputs, outputs: [name], name: `${probeNodePrefix(this.scope)}${opType}_${this.nodes.length}`, attributes });
    return name;
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const name = `sinklens/c${this.counter++}`;
    this.initializers.push({ name, dataType: DataType.Int64, dims, values });
    return name;
  }

  toFloat(tensor: string, elemType: number, output?: string): string {
    if (elemType === DataType.Float) return output ? this.node('Identity', [tensor], undefined, output) : tensor;
    return this.node('Cast', [tensor], { to: { type: AttributeType.Int, value: DataType.Float } }, output);
  }

  /** A node whose result leaves the graph as float32, whatever the model computes in. */
  floatOutput(opType: string, inputs: string[], attributes: NewNode['attributes'], elemType: number, output: string): string {
    if (elemType === DataType.Float) return this.node(opType, inputs, attributes, output);
    return this.toFloat(this.node(opType, inputs, attributes), elemType, output);
  }

  /** L2 norm over the last axis, [B, T, D] → [B, T], in float32. */
  lastAxisNorm(tensor: string, elemType: number, output: string): string {
    const input = this.toFloat(tensor, elemType);
    if (this.opset >= 18) {
      return this.node('ReduceL2', [input, this.int64([-1])], { keepdims: { type: AttributeType.Int, value: 0 } }, output);
    }
    return this.node('ReduceL2', [input], { axes: { type: AttributeType.Ints, value: [-1] }, keepdims: { type: AttributeType.Int, value: 0 } }, output);
  }

  /** A [1] int64 tensor that is always 0 but can only be computed after `probe` exists. */
  zeroAfter(probe: ProbeTensor): string {
    const size = this.node('Gather', [this.node('Shape', [probe.name]), this.int64([probe.dynamicAxis])], { axis: { type: AttributeType.Int, value: 0 } });
    return this.node('Mul', [size, this.int64([0])]);
  }

  output(name: string, shape: (number | string)[]): void {
    this.outputs.push({ name, elemType: DataType.Float, shape });
  }
}

export function buildProbeEdits(model: OnnxModel, layout: DecoderLayout, elemType: number): GraphEdits {
  const opset = model.opsets.get('') ?? 0;
  if (opset < 11) throw new Error(`opset ${opset} is older than 11, which Sink Lens needs`);
  const edits = new EditBuilder(opset);
  const prefixLength = PROBE_INPUTS.prefixLength;
  const mapLayer = PROBE_INPUTS.mapLayer;
  const zeroStart = edits.int64([0]);
  const sequenceAxis = edits.int64([1]);
  const batchAxis = edits.int64([0]);

  const depthProbes = (depthIndex: number): ProbeTensor[] => {
    const residual = layout.residuals[depthIndex];
    const norm = edits.lastAxisNorm(residual, elemType, probeOutputs.norm(depthIndex));
    edits.output(norm, ['batch', 'tokens']);
    const hidden = edits.floatOutput('Slice', [residual, zeroStart, prefixLength, sequenceAxis], undefined, elemType, probeOutputs.hidden(depthIndex));
    edits.output(hidden, ['batch', 'prefix', 'hidden']);
    return [
      { name: norm, dynamicAxis: 1 },
      { name: hidden, dynamicAxis: 1 },
    ];
  };

  const renamedInputs = new Map<number, string[]>();
  const mapSlices: string[] = [];

  layout.layers.forEach((layer, l) => {
    edits.scope = `layer${l}`;
    const probes: ProbeTensor[] = l === 0 ? depthProbes(0) : [];
    probes.push(...depthProbes(2 * l + 1), ...depthProbes(2 * l + 2));

    const keyZero = edits.int64([0], []);
    const attention = edits.floatOutput('Gather', [layer.softmaxOutput, keyZero], { axis: { type: AttributeType.Int, value: 3 } }, elemType, probeOutputs.firstTokenAttention(l));
    edits.output(attention, ['batch', 'heads', 'tokens']);
    probes.push({ name: attention, dynamicAxis: 2 });

    const mlpNorm = edits.lastAxisNorm(layer.mlpActivation, elemType, probeOutputs.mlpNorm(l));
    edits.output(mlpNorm, ['batch', 'tokens']);
    probes.push({ name: mlpNorm, dynamicAxis: 1 });

    // Slice end is 1 for the requested layer and 0 (an empty tensor) for every other one.
    const selected = edits.node('Cast', [edits.node('Equal', [mapLayer, edits.int64([l])])], { to: { type: AttributeType.Int, value: DataType.Int64 } });
    const mapSlice = edits.node('Slice', [layer.softmaxOutput, zeroStart, selected, batchAxis]);
    mapSlices.push(mapSlice);
    probes.push({ name: mapSlice, dynamicAxis: 0 });

    const blockOutput = layout.residuals[2 * l + 2];
    let zero = edits.zeroAfter(probes[0]);
    for (const probe of probes.slice(1)) zero = edits.node('Add', [zero, edits.zeroAfter(probe)]);
    const shape = edits.node('Add', [edits.node('Shape', [blockOutput]), zero]);
    const ordered = edits.node('Reshape', [blockOutput, shape]);
    for (const consumer of layout.graph.consumersOf(blockOutput)) {
      const inputs = renamedInputs.get(consumer.index) ?? [...consumer.inputs];
      renamedInputs.set(consumer.index, inputs.map((input) => (input === blockOutput ? ordered : input)));
    }
  });

  const maps = edits.floatOutput('Concat', mapSlices, { axis: { type: AttributeType.Int, value: 0 } }, elemType, probeOutputs.attentionMap);
  edits.output(maps, ['selected', 'heads', 'tokens', 'tokens']);

  const inputs: NewValueInfo[] = [
    { name: prefixLength, elemType: DataType.Int64, shape: [1] },
    { name: mapLayer, elemType: DataType.Int64, shape: [1] },
  ];
  return { renamedInputs, nodes: edits.nodes, initializers: edits.initializers, inputs, outputs: edits.outputs };
}
