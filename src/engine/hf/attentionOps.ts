/**
 * Self-attention as transformers' eager path computes it, spelled so that the probe matcher finds
 * one Softmax per layer whose output is the [batch, heads, T, T] probabilities: projections (apart,
 * fused [q | k | v], or fused per head as GPT-NeoX stores them), q/k norms (per head, or over the
 * whole projection), the per-head view, rotate_half RoPE over the rotated dims (all, or the first
 * ones with a partial rotary factor; longrope's long frequencies chosen by sequence length), KV
 * heads repeated (Unsqueeze, Expand, Reshape, as repeat_kv does), scores in float32 (scaled,
 * soft-capped, causal or sliding-window mask added), Softmax, probabilities back to the compute
 * type times V, heads merged, output projection. Positions, masks and rotary tables are computed
 * once per graph from the sequence length.
 */
import type { AttentionSpec, RopeSpec } from './architectures/decoderSpec';
import { int, ints } from '../graph/editBuilder';
import { DataType } from '../onnx/proto';
import type { GraphOps } from './graphOps';

export interface SequenceTensors {
  /** int64 [T]: 0 … T − 1. */
  positions: string;
  /** int64 scalar T. */
  length: string;
  /** int64 [2] = [T, T]. */
  squareShape: string;
}

export class AttentionOps {
  private readonly masks = new Map<number, string>();
  private readonly ropeTables = new Map<string, { cos: string; sin: string }>();

  constructor(
    private readonly ops: GraphOps,
    private readonly sequence: SequenceTensors,
  ) {}

  /** Attention output after the output projection, [batch, T, hidden]. */
  attend(input: string, spec: AttentionSpec): string {
    const { ops } = this;
    const { heads, kvHeads, headDim } = spec;
    const views = this.headViews(input, spec);
    let [qHeads, kHeads, vHeads] = views.map((view) => ops.node('Transpose', [view], { perm: ints([0, 2, 1, 3]) }));
    if (spec.rope) {
      qHeads = this.rotate(qHeads, spec.rope, headDim);
      kHeads = this.rotate(kHeads, spec.rope, headDim);
    }
    if (kvHeads !== heads) {
      kHeads = this.repeatKv(kHeads, heads / kvHeads, heads, headDim);
      vHeads = this.repeatKv(vHeads, heads / kvHeads, heads, headDim);
    }
    let scores = ops.toFloat(ops.node('MatMul', [qHeads, ops.node('Transpose', [kHeads], { perm: ints([0, 1, 3, 2]) })]));
    for (const step of spec.scaling) scores = ops.node(step.op, [scores, ops.graph.floats([step.value], [])]);
    if (spec.softcap !== null) {
      const cap = ops.graph.floats([spec.softcap], []);
      scores = ops.node('Mul', [ops.node('Tanh', [ops.node('Div', [scores, cap])]), cap]);
    }
    scores = ops.node('Add', [scores, this.mask(spec.slidingWindow)]);
    const probabilities = ops.node('Softmax', [scores], { axis: int(-1) });
    const context = ops.node('MatMul', [ops.toCompute(probabilities), vHeads]);
    const merged = ops.node('Reshape', [ops.node('Transpose', [context], { perm: ints([0, 2, 1, 3]) }), ops.graph.int64s([0, 0, heads * headDim])]);
    return ops.linear(merged, spec.output);
  }

  /** q, k, v as [B, T, n, hd], with their norms applied where the model applies them. */
  private headViews(input: string, spec: AttentionSpec): [string, string, string] {
    const { ops } = this;
    const { heads, kvHeads, headDim, projections, qkNorm } = spec;
    const view = (tensor: string, count: number) => ops.node('Reshape', [tensor, ops.graph.int64s([0, 0, count, headDim])]);
    const flatten = (tensor: string, count: number) => ops.node('Reshape', [tensor, ops.graph.int64s([0, 0, count * headDim])]);
    let flat: string[];
    if (projections.kind === 'separate') {
      flat = [ops.linear(input, projections.q), ops.linear(input, projections.k), ops.linear(input, projections.v)];
    } else if (projections.layout === 'blocks') {
      const split = ops.graph.int64s([heads * headDim, kvHeads * headDim, kvHeads * headDim]);
      flat = ops.graph.nodeWithOutputs('Split', [ops.linear(input, projections.qkv), split], 3, { axis: int(-1) });
    } else {
      // GPT-NeoX: the fused output viewed as [heads, 3 · head_dim]; each head's q, k, v are consecutive.
      const perHead = ops.node('Reshape', [ops.linear(input, projections.qkv), ops.graph.int64s([0, 0, heads, 3 * headDim])]);
      const split = ops.graph.nodeWithOutputs('Split', [perHead, ops.graph.int64s([headDim, headDim, headDim])], 3, { axis: int(-1) });
      flat = split.map((tensor) => flatten(tensor, heads));
    }
    if (qkNorm?.scope === 'projection') flat = [ops.norm(flat[0], qkNorm.q), ops.norm(flat[1], qkNorm.k), flat[2]];
    const views = [view(flat[0], heads), view(flat[1], kvHeads), view(flat[2], kvHeads)];
    if (qkNorm?.scope === 'head') return [ops.norm(views[0], qkNorm.q), ops.norm(views[1], qkNorm.k), views[2]];
    return [views[0], views[1], views[2]];
  }

  /** x·cos + rotate_half(x)·sin on the first rotaryDims dims (rotate_half(x) = [-x₂, x₁] over their halves); the rest pass. */
  private rotate(tensor: string, rope: RopeSpec, headDim: number): string {
    const { ops } = this;
    const { cos, sin } = this.tables(rope);
    const dims = rope.rotaryDims;
    const half = dims / 2;
    const axis = ops.graph.int64s([-1]);
    const slice = (x: string, from: number, to: number) => ops.node('Slice', [x, ops.graph.int64s([from]), ops.graph.int64s([to]), axis]);
    const rotating = dims === headDim ? tensor : slice(tensor, 0, dims);
    const rotated = ops.node('Concat', [ops.node('Neg', [slice(rotating, half, dims)]), slice(rotating, 0, half)], { axis: int(-1) });
    const turned = ops.node('Add', [ops.node('Mul', [rotating, cos]), ops.node('Mul', [rotated, sin])]);
    return dims === headDim ? turned : ops.node('Concat', [turned, slice(tensor, dims, headDim)], { axis: int(-1) });
  }

  /**
   * LlamaRotaryEmbedding: freqs = positions ⊗ inv_freq in float32, emb = [freqs, freqs], cos/sin ×
   * attention_scaling, cast. Longrope: inv_freq is the long one when T exceeds its switch length.
   */
  private tables(rope: RopeSpec): { cos: string; sin: string } {
    const key = JSON.stringify(rope);
    const known = this.ropeTables.get(key);
    if (known) return known;
    const { ops } = this;
    const size = [1, rope.invFreq.length];
    let invFreq = ops.graph.floats(rope.invFreq, size);
    if (rope.long) {
      const longer = ops.node('Greater', [this.sequence.length, ops.graph.int64s([rope.long.after], [])]);
      invFreq = ops.node('Where', [longer, ops.graph.floats(rope.long.invFreq, size), invFreq]);
    }
    const positions = ops.node('Unsqueeze', [ops.node('Cast', [this.sequence.positions], { to: int(DataType.Float) }), ops.graph.int64s([1])]);
    const frequencies = ops.node('Mul', [positions, invFreq]);
    const angles = ops.node('Concat', [frequencies, frequencies], { axis: int(-1) });
    const scaling = ops.graph.floats([rope.attentionScaling], []);
    const table = (op: 'Cos' | 'Sin') => ops.toCompute(ops.node('Mul', [ops.node(op, [angles]), scaling]));
    const tables = { cos: table('Cos'), sin: table('Sin') };
    this.ropeTables.set(key, tables);
    return tables;
  }

  /** KV head j serves query heads j·rep … j·rep + rep − 1 (repeat_kv). */
  private repeatKv(tensor: string, rep: number, heads: number, headDim: number): string {
    const { ops } = this;
    const expanded = ops.node('Expand', [ops.node('Unsqueeze', [tensor, ops.graph.int64s([2])]), ops.graph.int64s([1, 1, rep, 1, 1])]);
    return ops.node('Reshape', [expanded, ops.graph.int64s([0, heads, -1, headDim])]);
  }

  /** float32 [T, T]: 0 where key k is visible from query q (k <= q, and q - k < window), -inf elsewhere. */
  private mask(window: number | null): string {
    const key = window ?? 0;
    const known = this.masks.get(key);
    if (known) return known;
    const { ops } = this;
    const full = ops.node('Expand', [ops.graph.floats([-Infinity], []), this.sequence.squareShape]);
    let mask = ops.node('Trilu', [full, ops.graph.int64s([1], [])], { upper: int(1) });
    if (window !== null) mask = ops.node('Add', [mask, ops.node('Trilu', [full, ops.graph.int64s([-window], [])], { upper: int(0) })]);
    this.masks.set(key, mask);
    return mask;
  }
}
