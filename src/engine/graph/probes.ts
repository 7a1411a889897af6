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
import { UnsupportedGraphError } from '../errors';
import { DataType, OnnxModel } from '../onnx/proto';
import type { GraphEdits, NewValueInfo, NodeEdit } from '../onnx/encode';
import { atAllPositions } from './allPositions';
import { operatorOutputCheck, recomputeAttention } from './attentionRecompute';
import { widenBfloat16Boundary } from './bfloat16Boundary';
import { widenFloat16Inputs } from './float16Inputs';
import { computeBfloat16InFloat32 } from './bfloat16Compute';
import type { DecoderLayout } from './decoderLayout';
import { EditBuilder, int, ints } from './editBuilder';
import { layerAttentionPath, takeOperatorProbabilities } from './operatorProbabilities';
import { TensorTypes } from './tensorTypes';

export { probeNodePrefix } from './editBuilder';

export const PROBE_INPUTS = {
  /** How many leading positions' full hidden states to return at every depth (default 1: P0). */
  prefixLength: 'sinklens_prefix_length',
  /** The layer whose full attention map to return (of batch element 0); -1 for none. */
  mapLayer: 'sinklens_map_layer',
  /** [batch, layers, heads] float: 1 keeps a head's contribution, 0 removes it (head ablation). */
  headMask: 'sinklens_head_mask',
} as const;

export const probeOutputs = {
  norm: (depthIndex: number) => `sinklens/norm/${depthIndex}`,
  hidden: (depthIndex: number) => `sinklens/hidden/${depthIndex}`,
  /** cos(h[d][t], h[d][0]) for every t. */
  p0Cosine: (depthIndex: number) => `sinklens/p0cos/${depthIndex}`,
  firstTokenAttention: (layer: number) => `sinklens/attn0/${layer}`,
  mlpNorm: (layer: number) => `sinklens/mlp_norm/${layer}`,
  mlpHidden: (layer: number) => `sinklens/mlp_hidden/${layer}`,
  attentionMap: 'sinklens/attention_map',
};

interface ProbeTensor {
  name: string;
  /** An axis whose size is only known at run time, so ORT cannot fold the dependency away. */
  dynamicAxis: number;
}

/** Extra outputs for tests: P·V from recomputed probabilities next to the fused operator's output. */
export const verificationOutputs = {
  recomputed: (layer: number) => `sinklens/verify/recomputed/${layer}`,
  fused: (layer: number) => `sinklens/verify/fused/${layer}`,
};

export interface ProbeOptions {
  /** Also output P·V of the probabilities next to a fused operator's own output. */
  verifyRecomputation: boolean;
  /** Recompute even where the operator can output its probabilities (tests of recomputation). */
  recompute?: boolean;
  /** Compute the model's bfloat16 arithmetic in float32 (graph/bfloat16Compute.ts): for a provider without bfloat16 kernels. */
  bfloat16InFloat32?: boolean;
}

/** `elemType`: the type of the model's weights, used where a tensor's own type cannot be worked out. */
export function buildProbeEdits(model: OnnxModel, layout: DecoderLayout, elemType: number, options: ProbeOptions = { verifyRecomputation: false }): GraphEdits {
  const opset = model.opsets.get('') ?? 0;
  if (opset < 11) throw new UnsupportedGraphError(`expected opset 11 or newer, found opset ${opset}; re-export with a newer opset`);
  const edits = new EditBuilder(opset);
  // Activations need not have the weights' type (bfloat16 weights cast to float32, say).
  const types = new TensorTypes(layout.graph);
  const computed = (type: number) => (options.bfloat16InFloat32 && type === DataType.BFloat16 ? DataType.Float : type);
  const typeOf = (tensor: string) => computed(types.of(tensor) ?? elemType);
  const prefixLength = PROBE_INPUTS.prefixLength;
  const mapLayer = PROBE_INPUTS.mapLayer;
  const zeroStart = edits.int64([0]);
  const sequenceAxis = edits.int64([1]);
  const batchAxis = edits.int64([0]);

  // A depth the graph computes at only some positions is probed at all of them, NaN where absent.
  const everyPosition = (tensor: string, depthIndex: number) => {
    const selection = layout.residualPositions[depthIndex];
    return selection ? { tensor: atAllPositions(edits, tensor, typeOf(tensor), selection, layout.idsInput), type: DataType.Float as number } : { tensor, type: typeOf(tensor) };
  };

  const depthProbes = (depthIndex: number): ProbeTensor[] => {
    const { tensor: residual, type: residualType } = everyPosition(layout.residuals[depthIndex], depthIndex);
    const asFloat = edits.toFloat(residual, residualType);
    const keptNorm = edits.lastAxisNorm(asFloat, DataType.Float, undefined, true);
    const norm = edits.node('Reshape', [keptNorm, edits.int64([0, -1])], undefined, probeOutputs.norm(depthIndex));
    edits.output(norm, ['batch', 'tokens']);
    const unit = edits.node('Div', [asFloat, keptNorm]);
    const unitP0 = edits.node('Transpose', [edits.node('Slice', [unit, zeroStart, edits.int64([1]), sequenceAxis])], { perm: ints([0, 2, 1]) });
    const p0Cosine = edits.node('Reshape', [edits.node('MatMul', [unit, unitP0]), edits.int64([0, -1])], undefined, probeOutputs.p0Cosine(depthIndex));
    edits.output(p0Cosine, ['batch', 'tokens']);
    const hidden = edits.floatOutput('Slice', [residual, zeroStart, prefixLength, sequenceAxis], undefined, residualType, probeOutputs.hidden(depthIndex));
    edits.output(hidden, ['batch', 'prefix', 'hidden']);
    return [
      { name: norm, dynamicAxis: 1 },
      { name: p0Cosine, dynamicAxis: 1 },
      { name: hidden, dynamicAxis: 1 },
    ];
  };

  const nodeEdits = new Map<number, NodeEdit>();
  for (const [index, outputs] of layout.exposedOutputs) nodeEdits.set(index, { outputs });
  const mapSlices: string[] = [];

  layout.layers.forEach((layer, l) => {
    edits.scope = `layer${l}`;
    const probes: ProbeTensor[] = l === 0 ? depthProbes(0) : [];
    probes.push(...depthProbes(2 * l + 1), ...depthProbes(2 * l + 2));

    let probabilities: string;
    let probabilityType: number;
    let verification: { recomputed: string; fused: string } | undefined;
    const path = layerAttentionPath(layer, options.recompute);
    if (layer.attention.kind === 'softmax') {
      probabilities = layer.attention.probabilities;
      probabilityType = typeOf(probabilities);
    } else if (path === 'fused-qk-output') {
      const node = layer.attention.node;
      probabilities = takeOperatorProbabilities(node, nodeEdits);
      probabilityType = typeOf(node.inputs[0]);
      if (options.verifyRecomputation) verification = operatorOutputCheck(edits, layout.graph, node, probabilities, probabilityType);
    } else {
      const recomputed = recomputeAttention(edits, layout.graph, layer.attention.node, typeOf(layer.attention.node.inputs[0]), options.verifyRecomputation);
      probabilities = recomputed.probabilities;
      probabilityType = DataType.Float;
      verification = recomputed.verification;
    }
    if (verification) {
      edits.node('Identity', [verification.recomputed], undefined, verificationOutputs.recomputed(l));
      edits.node('Identity', [verification.fused], undefined, verificationOutputs.fused(l));
      edits.output(verificationOutputs.recomputed(l), ['batch', 'tokens', 'hidden']);
      edits.output(verificationOutputs.fused(l), ['batch', 'tokens', 'hidden']);
    }
    const keyZero = edits.int64([0], []);
    const attention = edits.floatOutput('Gather', [probabilities, keyZero], { axis: int(3) }, probabilityType, probeOutputs.firstTokenAttention(l));
    edits.output(attention, ['batch', 'heads', 'tokens']);
    probes.push({ name: attention, dynamicAxis: 2 });

    if (layer.mlpActivation !== null) {
      const { tensor: mlpActivation, type: mlpType } = everyPosition(layer.mlpActivation, 2 * l + 1);
      const mlpNorm = edits.lastAxisNorm(mlpActivation, mlpType, probeOutputs.mlpNorm(l));
      edits.output(mlpNorm, ['batch', 'tokens']);
      const mlpHidden = edits.floatOutput('Slice', [mlpActivation, zeroStart, prefixLength, sequenceAxis], undefined, mlpType, probeOutputs.mlpHidden(l));
      edits.output(mlpHidden, ['batch', 'prefix', 'intermediate']);
      probes.push({ name: mlpNorm, dynamicAxis: 1 }, { name: mlpHidden, dynamicAxis: 1 });
    }

    maskHeads(edits, nodeEdits, layer, l, probabilities, typeOf(layer.attentionOutput.tensor));

    // Slice end is 1 for the requested layer and 0 (an empty tensor) for every other one; each
    // layer's slice is float32, whatever path (and type) its probabilities came by.
    const selected = edits.node('Cast', [edits.node('Equal', [mapLayer, edits.int64([l])])], { to: int(DataType.Int64) });
    const mapSlice = edits.toFloat(edits.node('Slice', [probabilities, zeroStart, selected, batchAxis]), probabilityType);
    mapSlices.push(mapSlice);
    probes.push({ name: mapSlice, dynamicAxis: 0 });

    let zero = edits.zeroAfter(probes[0].name, probes[0].dynamicAxis);
    for (const probe of probes.slice(1)) zero = edits.node('Add', [zero, edits.zeroAfter(probe.name, probe.dynamicAxis)]);
    // Everything the next block reads: the stream, and a fused norm's normalised copy of it.
    for (const blockOutput of layout.residualAliases[2 * l + 2]) {
      const consumers = layout.graph.consumersOf(blockOutput);
      if (consumers.length === 0) continue;
      const ordered = edits.node('Reshape', [blockOutput, edits.node('Add', [edits.node('Shape', [blockOutput]), zero])]);
      for (const consumer of consumers) {
        const edit = nodeEdits.get(consumer.index) ?? {};
        edit.inputs = (edit.inputs ?? consumer.inputs).map((input) => (input === blockOutput ? ordered : input));
        nodeEdits.set(consumer.index, edit);
      }
    }
  });

  const maps = edits.node('Concat', mapSlices, { axis: int(0) }, probeOutputs.attentionMap);
  edits.output(maps, ['selected', 'heads', 'tokens', 'tokens']);
  const redeclared = options.bfloat16InFloat32 ? computeBfloat16InFloat32(edits, layout.graph, nodeEdits) : widenBfloat16Boundary(edits, layout.graph, nodeEdits);
  widenFloat16Inputs(edits, layout.graph, nodeEdits, redeclared);

  const inputs: NewValueInfo[] = [
    { name: prefixLength, elemType: DataType.Int64, shape: [1] },
    { name: mapLayer, elemType: DataType.Int64, shape: [1] },
    { name: PROBE_INPUTS.headMask, elemType: DataType.Float, shape: ['batch', layout.layers.length, 'heads'] },
  ];
  return { nodeEdits, nodes: edits.nodes, initializers: edits.initializers, inputs, outputs: edits.outputs, redeclared };
}

/**
 * Multiplies each head's slice of the merged attention output ([B, T, H·hd], which the output
 * projection reads directly or through a Reshape to [B·T, H·hd]) by its head-mask entry, so that
 * one session serves every ablation and a whole sweep can run as one batch. The masked tensor
 * replaces the merged heads in the node that reads them (decoderLayout proves their rank).
 */
function maskHeads(edits: EditBuilder, nodeEdits: Map<number, NodeEdit>, layer: DecoderLayout['layers'][number], l: number, probabilities: string, tensorType: number): void {
  const { tensor, reader } = layer.attentionOutput;
  const heads = edits.node('Gather', [edits.node('Shape', [probabilities]), edits.int64([1])], { axis: int(0) });
  const split = edits.node('Reshape', [tensor, edits.node('Concat', [edits.int64([0, 0]), heads, edits.int64([-1])], { axis: int(0) })]);
  let mask = edits.node('Reshape', [edits.node('Gather', [PROBE_INPUTS.headMask, edits.int64([l], [])], { axis: int(1) }), edits.int64([0, 1, -1, 1])]);
  if (tensorType !== DataType.Float) mask = edits.node('Cast', [mask], { to: int(tensorType) });
  const masked = edits.node('Reshape', [edits.node('Mul', [split, mask]), edits.int64([0, 0, -1])]);
  const edit = nodeEdits.get(reader.index) ?? {};
  edit.inputs = (edit.inputs ?? reader.inputs).map((input) => (input === tensor ? masked : input));
  nodeEdits.set(reader.index, edit);
}
