/**
 * Adds the measurements to the graph itself, so that only small tensors leave onnxruntime:
 * per-token L2 norms of every residual depth and MLP activation, the median magnitude of every
 * depth, attention to key 0 and the attention each key receives, the first positions' hidden
 * states, and (on request) one layer's full attention map.
 *
 * Each layer's probes are one subgraph, the body of an If that always runs (graph/probeBody.ts).
 * ORT schedules leaf nodes last, which would keep every layer's [B,H,T,T] map alive until the end
 * of the run. Each block's output is therefore re-routed through a no-op Reshape whose target shape
 * depends (through Shape, times zero) on that If: the probes must run before the next block
 * starts, and each map is freed as early as in a plain forward pass.
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
import { lowerMedianPerRow } from './layerMedian';
import { ProbeBody, alwaysTrue } from './probeBody';
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
  /** The lower median of |h[d]| over all positions and dims, per batch row (Sun et al.'s reference magnitude). */
  layerMedian: (depthIndex: number) => `sinklens/layer_median/${depthIndex}`,
  firstTokenAttention: (layer: number) => `sinklens/attn0/${layer}`,
  /** (1/(H·T)) Σ_h Σ_q A[l,h,q,k]: the attention each key receives. */
  received: (layer: number) => `sinklens/received/${layer}`,
  mlpNorm: (layer: number) => `sinklens/mlp_norm/${layer}`,
  mlpHidden: (layer: number) => `sinklens/mlp_hidden/${layer}`,
  attentionMap: 'sinklens/attention_map',
};

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
  const always = alwaysTrue(edits, layout.idsInput);

  // A depth the graph computes at only some positions is probed at all of them, NaN where absent.
  const everyPosition = (probe: EditBuilder, tensor: string, depthIndex: number) => {
    const selection = layout.residualPositions[depthIndex];
    return selection ? { tensor: atAllPositions(probe, tensor, typeOf(tensor), selection, layout.idsInput), type: DataType.Float as number } : { tensor, type: typeOf(tensor) };
  };

  const depthProbes = (body: ProbeBody, depthIndex: number): void => {
    const probe = body.edits;
    const residual = layout.residuals[depthIndex];
    const own = probe.toFloat(residual, typeOf(residual));
    const selection = layout.residualPositions[depthIndex];
    const asFloat = selection ? atAllPositions(probe, own, DataType.Float, selection, layout.idsInput) : own;
    const keptNorm = probe.lastAxisNorm(asFloat, DataType.Float, undefined, true);
    body.output(probe.node('Reshape', [keptNorm, probe.int64([0, -1])]), probeOutputs.norm(depthIndex), ['batch', 'tokens'], 1);
    const unit = probe.node('Div', [asFloat, keptNorm]);
    const unitP0 = probe.node('Transpose', [probe.node('Slice', [unit, probe.int64([0]), probe.int64([1]), probe.int64([1])])], { perm: ints([0, 2, 1]) });
    body.output(probe.node('Reshape', [probe.node('MatMul', [unit, unitP0]), probe.int64([0, -1])]), probeOutputs.p0Cosine(depthIndex), ['batch', 'tokens'], 1);
    body.output(probe.node('Slice', [asFloat, probe.int64([0]), prefixLength, probe.int64([1])]), probeOutputs.hidden(depthIndex), ['batch', 'prefix', 'hidden'], 1);
    const scope = probe.scope;
    probe.scope = `${scope}/median`; // named apart in profiles: the probe with the most work per element
    // Over the values the graph has, not the NaN-padded copy: the median of what the layer computes.
    body.output(lowerMedianPerRow(probe, own), probeOutputs.layerMedian(depthIndex), ['batch'], 0);
    probe.scope = scope;
  };

  const nodeEdits = new Map<number, NodeEdit>();
  for (const [index, outputs] of layout.exposedOutputs) nodeEdits.set(index, { outputs });
  const mapSlices: string[] = [];

  layout.layers.forEach((layer, l) => {
    edits.scope = `layer${l}`;
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

    const body = new ProbeBody(edits);
    const probe = body.edits;
    const { input, middle, output } = layer.depthIndex;
    if (l === 0) depthProbes(body, input);
    if (middle !== null) depthProbes(body, middle);
    depthProbes(body, output);
    const firstToken = probe.toFloat(probe.node('Gather', [probabilities, probe.int64([0], [])], { axis: int(3) }), probabilityType);
    body.output(firstToken, probeOutputs.firstTokenAttention(l), ['batch', 'heads', 'tokens'], 2);
    probe.scope = `layer${l}/received`;
    body.output(attentionReceived(probe, probe.toFloat(probabilities, probabilityType)), probeOutputs.received(l), ['batch', 'tokens'], 1);
    probe.scope = `layer${l}`;
    if (layer.mlpActivation !== null) {
      // The MLP reads the state after attention, or in a parallel block the block's input.
      const { tensor: mlpActivation, type: mlpType } = everyPosition(probe, layer.mlpActivation, middle ?? input);
      body.output(probe.lastAxisNorm(mlpActivation, mlpType), probeOutputs.mlpNorm(l), ['batch', 'tokens'], 1);
      const mlpHidden = probe.toFloat(probe.node('Slice', [mlpActivation, probe.int64([0]), prefixLength, probe.int64([1])]), mlpType);
      body.output(mlpHidden, probeOutputs.mlpHidden(l), ['batch', 'prefix', 'intermediate'], 1);
    }
    // Slice end is 1 for the requested layer and 0 (an empty tensor) for every other one; each
    // layer's slice is float32, whatever path (and type) its probabilities came by.
    const selected = probe.node('Cast', [probe.node('Equal', [mapLayer, probe.int64([l])])], { to: int(DataType.Int64) });
    const mapSlice = `sinklens/map_slice/${l}`;
    body.expose(probe.toFloat(probe.node('Slice', [probabilities, probe.int64([0]), selected, probe.int64([0])]), probabilityType), mapSlice, 0);
    mapSlices.push(mapSlice);

    maskHeads(edits, nodeEdits, layer, l, probabilities, typeOf(layer.attentionOutput.tensor));

    const zero = body.emit(always);
    // Everything the next block reads: the stream, and a fused norm's normalised copy of it.
    for (const blockOutput of layout.residualAliases[output]) {
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
 * (1/(H·T)) Σ_h Σ_q A[b,h,q,k] from [B, H, T, T] float32 probabilities, as [B, T]: the sum over
 * queries (one more read of the map, what this costs), then over heads. onnxruntime's CPU kernel
 * reduces two leading axes at once element by element (more than the whole forward pass); one axis
 * at a time it runs at memory speed.
 */
function attentionReceived(edits: EditBuilder, probabilities: string): string {
  const sums = edits.reduce('ReduceSum', edits.reduce('ReduceSum', probabilities, [2], false), [1], false);
  const shape = edits.node('Shape', [probabilities]);
  const count = edits.node('Mul', [edits.node('Gather', [shape, edits.int64([1])], { axis: int(0) }), edits.node('Gather', [shape, edits.int64([2])], { axis: int(0) })]);
  return edits.node('Div', [sums, edits.node('Cast', [count], { to: int(DataType.Float) })]);
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
