/**
 * Self-attention as transformers' eager path computes it, spelled so that the probe matcher finds
 * one Softmax per layer whose output is the [batch, heads, T, T] probabilities: projections, the
 * per-head view, q/k norms, rotate_half RoPE, KV heads repeated (Unsqueeze, Expand, Reshape, as
 * repeat_kv does), scores in float32 (scaled, causal or sliding-window mask added), Softmax,
 * probabilities back to the compute type times V, heads merged, output projection. Positions,
 * masks and rotary tables are computed once per graph from the sequence length.
 */
import type { AttentionSpec, RopeSpec } from './architectures/decoderSpec';
import { int, ints } from '../graph/editBuilder';
import { DataType } from '../onnx/proto';
import type { GraphOps } from './graphOps';

export class AttentionOps {
  private readonly masks = new Map<number, string>();
  private readonly ropeTables = new Map<RopeSpec, { cos: string; sin: string }>();

  /** `positions`: int64 [T]; `squareShape`: int64 [2] = [T, T]. */
  constructor(
    private readonly ops: GraphOps,
    private readonly positions: string,
    private readonly squareShape: string,
  ) {}

  /** Attention output after the output projection, [batch, T, hidden]. */
  attend(input: string, spec: AttentionSpec): string {
    const { ops } = this;
    const { heads, kvHeads, headDim } = spec;
    let q: string, k: string, v: string;
    if (spec.projections.kind === 'fused') {
      const fused = ops.linear(input, spec.projections.qkv);
      const split = ops.graph.int64s([heads * headDim, kvHeads * headDim, kvHeads * headDim]);
      [q, k, v] = ops.graph.nodeWithOutputs('Split', [fused, split], 3, { axis: int(-1) });
    } else {
      q = ops.linear(input, spec.projections.q);
      k = ops.linear(input, spec.projections.k);
      v = ops.linear(input, spec.projections.v);
    }
    let qHeads = this.headsFirst(q, heads, headDim, spec.qNorm && ((x) => ops.norm(x, spec.qNorm!)));
    let kHeads = this.headsFirst(k, kvHeads, headDim, spec.kNorm && ((x) => ops.norm(x, spec.kNorm!)));
    let vHeads = this.headsFirst(v, kvHeads, headDim, null);
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
    scores = ops.node('Add', [scores, this.mask(spec.slidingWindow)]);
    const probabilities = ops.node('Softmax', [scores], { axis: int(-1) });
    const context = ops.node('MatMul', [ops.toCompute(probabilities), vHeads]);
    const merged = ops.node('Reshape', [ops.node('Transpose', [context], { perm: ints([0, 2, 1, 3]) }), ops.graph.int64s([0, 0, heads * headDim])]);
    return ops.linear(merged, spec.output);
  }

  /** [B, T, n·hd] → [B, n, T, hd], with an optional per-head norm on the [B, T, n, hd] view. */
  private headsFirst(tensor: string, count: number, headDim: number, norm: ((x: string) => string) | null): string {
    let view = this.ops.node('Reshape', [tensor, this.ops.graph.int64s([0, 0, count, headDim])]);
    if (norm) view = norm(view);
    return this.ops.node('Transpose', [view], { perm: ints([0, 2, 1, 3]) });
  }

  /** q·cos + rotate_half(q)·sin, rotate_half(x) = [-x₂, x₁] over the two halves of the head. */
  private rotate(tensor: string, rope: RopeSpec, headDim: number): string {
    const { ops } = this;
    const { cos, sin } = this.tables(rope);
    const half = headDim / 2;
    const axis = ops.graph.int64s([-1]);
    const first = ops.node('Slice', [tensor, ops.graph.int64s([0]), ops.graph.int64s([half]), axis]);
    const second = ops.node('Slice', [tensor, ops.graph.int64s([half]), ops.graph.int64s([headDim]), axis]);
    const rotated = ops.node('Concat', [ops.node('Neg', [second]), first], { axis: int(-1) });
    return ops.node('Add', [ops.node('Mul', [tensor, cos]), ops.node('Mul', [rotated, sin])]);
  }

  /** LlamaRotaryEmbedding: freqs = positions ⊗ inv_freq in float32, emb = [freqs, freqs], cos/sin × attention_scaling, cast. */
  private tables(rope: RopeSpec): { cos: string; sin: string } {
    const known = this.ropeTables.get(rope);
    if (known) return known;
    const { ops } = this;
    const positions = ops.node('Unsqueeze', [ops.node('Cast', [this.positions], { to: int(DataType.Float) }), ops.graph.int64s([1])]);
    const frequencies = ops.node('Mul', [positions, ops.graph.floats(rope.invFreq, [1, rope.invFreq.length])]);
    const angles = ops.node('Concat', [frequencies, frequencies], { axis: int(-1) });
    const scaling = ops.graph.floats([rope.attentionScaling], []);
    const table = (op: 'Cos' | 'Sin') => ops.toCompute(ops.node('Mul', [ops.node(op, [angles]), scaling]));
    const tables = { cos: table('Cos'), sin: table('Sin') };
    this.ropeTables.set(rope, tables);
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
    const full = ops.node('Expand', [ops.graph.floats([-Infinity], []), this.squareShape]);
    let mask = ops.node('Trilu', [full, ops.graph.int64s([1], [])], { upper: int(1) });
    if (window !== null) mask = ops.node('Add', [mask, ops.node('Trilu', [full, ops.graph.int64s([-window], [])], { upper: int(0) })]);
    this.masks.set(key, mask);
    return mask;
  }
}
