/**
 * What a [batch, 1, T, T]-style mask input must hold at visible and at hidden positions, read from
 * how the graph uses it rather than from its name: exporters disagree. Hugging Face adds a float
 * mask to the scores (0 visible, the dtype's lowest hidden); onnxruntime's Megatron GPT-2 takes
 * 1 / 0 and computes `w · m − 10000 · (1 − m)`; Megatron-LM's boolean mask is true where hidden
 * (`masked_fill`), SDPA's true where visible.
 *
 * The mask's path to each layer's scores (the Softmax input, or a fused operator's mask input) is
 * evaluated on scalars: the mask as each candidate value, the attention scores as a variable x,
 * other run-time tensors (a causal mask the graph builds itself) as 0. A candidate pair is right
 * when the visible value leaves the scores unchanged up to a constant (which softmax ignores) and
 * the hidden value pushes them down by at least 1000, in every layer the mask reaches.
 */
import { UnsupportedGraphError } from '../errors';
import { DataType, type OnnxNode, type ValueInfo } from '../onnx/proto';
import type { DecoderLayout } from './decoderLayout';
import { describeInput } from './streamStart';
import { TensorTypes } from './tensorTypes';

export interface MaskFill {
  visible: number;
  hidden: number;
}

/** The most negative finite value of each floating type (bfloat16's, not float32's, which bfloat16 rounds to -inf). */
export const LOWEST: Record<number, number> = {
  [DataType.Float]: -3.4028234663852886e38,
  [DataType.Float16]: -65504,
  [DataType.Double]: -Number.MAX_VALUE,
  [DataType.BFloat16]: -3.3895313892515355e38,
};

const FUSED = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention']);
const MOVES = new Set(['Identity', 'Reshape', 'Unsqueeze', 'Squeeze', 'Expand', 'Slice', 'Transpose', 'Tile', 'Flatten', 'Gather', 'Concat', 'Split', 'Dropout']);
const SCORES = new Set(['MatMul', 'FusedMatMul', 'Gemm', 'Einsum', 'MatMulNBits']);
const SCORE_VALUES = [0, 1.5, -2.25];
const HIDDEN_DROP = 1000;

type Endpoint = { kind: 'scores'; tensor: string; node: OnnxNode } | { kind: 'operator'; node: OnnxNode; slot: number };

class CannotFollow extends Error {
  constructor(
    readonly node: OnnxNode | null,
    reason: string,
  ) {
    super(reason);
  }
}

export function maskFill(layout: DecoderLayout, input: ValueInfo): MaskFill {
  const refuse = (reason: string) =>
    new UnsupportedGraphError(`input ${describeInput(input)} is a mask Sink Lens cannot fill: ${reason}; export the model with a [batch, sequence] attention_mask (or none)`);
  const cone = maskCone(layout, input.name);
  const endpoints = findEndpoints(layout, cone);
  if (endpoints.length === 0) throw refuse('it does not reach the attention of any layer');
  const floating = LOWEST[input.elemType ?? 0] !== undefined;
  const candidates: MaskFill[] = floating
    ? [
        { visible: 0, hidden: LOWEST[input.elemType!] },
        { visible: 1, hidden: 0 },
      ]
    : [
        { visible: 1, hidden: 0 },
        { visible: 0, hidden: 1 },
      ];
  const scoreLike = new Map<string, boolean>();
  try {
    const fits = candidates.find((candidate) => endpoints.every((endpoint) => satisfies(layout, cone, scoreLike, input.name, endpoint, candidate)));
    if (fits) return fits;
  } catch (error) {
    if (!(error instanceof CannotFollow)) throw error;
    throw refuse(error.node ? `it cannot be followed through node '${error.node.name}' (${error.node.opType}): ${error.message}` : error.message);
  }
  const first = endpoints[0].node;
  const kinds = floating ? 'neither 0 / lowest (added to the scores) nor 1 / 0 (kept)' : 'neither 1 nor 0 as the visible value';
  throw refuse(`${kinds} gives causal attention at node '${first.name}' (${first.opType})`);
}

/** Tensors computed from the mask before it meets the scores (propagation stops at each layer's softmax or fused operator). */
function maskCone(layout: DecoderLayout, input: string): Set<string> {
  const cone = new Set([input]);
  const queue = [input];
  while (queue.length > 0) {
    for (const node of layout.graph.consumersOf(queue.shift()!)) {
      if (node.opType === 'Softmax' || FUSED.has(node.opType)) continue;
      for (const output of node.outputs) {
        if (output && !cone.has(output)) {
          cone.add(output);
          queue.push(output);
        }
      }
    }
  }
  return cone;
}

function findEndpoints(layout: DecoderLayout, cone: Set<string>): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const { attention } of layout.layers) {
    if (attention.kind === 'softmax') {
      const node = layout.graph.producer.get(attention.probabilities)!;
      if (cone.has(node.inputs[0])) endpoints.push({ kind: 'scores', tensor: node.inputs[0], node });
    } else {
      attention.node.inputs.forEach((tensor, slot) => {
        if (tensor && cone.has(tensor)) endpoints.push({ kind: 'operator', node: attention.node, slot });
      });
    }
  }
  return endpoints;
}

function satisfies(layout: DecoderLayout, cone: Set<string>, scoreLike: Map<string, boolean>, input: string, endpoint: Endpoint, fill: MaskFill): boolean {
  const at = (mask: number, x: number) => new ScalarEvaluation(layout, cone, scoreLike, input, mask, x).value(endpoint.kind === 'scores' ? endpoint.tensor : endpoint.node.inputs[endpoint.slot]);
  if (endpoint.kind === 'scores') {
    const base = at(fill.visible, 0);
    if (!Number.isFinite(base)) return false;
    const unchanged = SCORE_VALUES.every((x) => Math.abs(at(fill.visible, x) - base - x) <= 1e-6 * (1 + Math.abs(x)));
    const pushedDown = SCORE_VALUES.every((x) => {
      const hidden = at(fill.hidden, x);
      return hidden === -Infinity || (Number.isFinite(hidden) && hidden <= at(fill.visible, x) - HIDDEN_DROP);
    });
    return unchanged && pushedDown;
  }
  const { node, slot } = endpoint;
  const visible = at(fill.visible, 0);
  const hidden = at(fill.hidden, 0);
  const kept = visible === 1 && hidden === 0;
  const additive = visible === 0 && hidden <= -HIDDEN_DROP;
  if (node.domain === 'com.microsoft' && node.opType === 'Attention') return slot === 3 ? kept : slot === 5 && additive;
  if (node.domain === 'com.microsoft' && node.opType === 'MultiHeadAttention') return slot === 4 ? kept : slot === 5 && additive;
  if (node.domain === '' && node.opType === 'Attention' && slot === 3) return new TensorTypes(layout.graph).of(node.inputs[3]) === DataType.Bool ? kept : additive;
  throw new CannotFollow(node, `its input ${slot} is not a mask input Sink Lens knows`);
}

/** One evaluation of the mask's path on scalars: the mask is `mask`, the scores are `x`. */
class ScalarEvaluation {
  private readonly memo = new Map<string, number>();

  constructor(
    private readonly layout: DecoderLayout,
    private readonly cone: Set<string>,
    private readonly scoreLike: Map<string, boolean>,
    private readonly input: string,
    private readonly mask: number,
    private readonly x: number,
  ) {}

  value(tensor: string): number {
    const known = this.memo.get(tensor);
    if (known !== undefined) return known;
    const value = this.compute(tensor);
    this.memo.set(tensor, value);
    return value;
  }

  private compute(tensor: string): number {
    if (tensor === this.input) return this.mask;
    const index = this.layout.graph;
    if (!this.cone.has(tensor)) {
      if (index.isStatic(tensor)) return this.constant(tensor);
      return this.isScores(tensor) ? this.x : 0;
    }
    const node = index.producer.get(tensor)!;
    const operand = (i: number) => this.value(node.inputs[i]);
    const op = node.opType;
    if (MOVES.has(op)) {
      const data = op === 'Concat' ? node.inputs.find((input) => this.cone.has(input))! : node.inputs[0];
      if (!this.cone.has(data)) throw new CannotFollow(node, 'the mask is not its data input');
      return this.value(data);
    }
    const binary = BINARY[op];
    if (binary) return binary(operand(0), operand(1));
    const unary = UNARY[op];
    if (unary) return unary(operand(0));
    if (op === 'Cast') return cast(operand(0), Number(node.attributes.get('to')?.i ?? 0));
    if (op === 'Where') {
      if (this.cone.has(node.inputs[0])) return operand(0) !== 0 ? operand(1) : operand(2);
      // A condition the graph computes itself (its own causal mask): it passes the branch that carries the mask or the scores.
      const carries = [1, 2].filter((i) => this.cone.has(node.inputs[i]) || this.isScores(node.inputs[i]));
      if (carries.length !== 1) throw new CannotFollow(node, 'its condition is not the mask, and both branches could carry the scores');
      return operand(carries[0]);
    }
    if (op === 'Clip') return Math.min(Math.max(operand(0), node.inputs[1] ? operand(1) : -Infinity), node.inputs[2] ? operand(2) : Infinity);
    throw new CannotFollow(node, 'an operator Sink Lens does not evaluate on masks');
  }

  private constant(tensor: string): number {
    const values = this.layout.shapes.valuesOf(tensor);
    if (values && values.length > 0 && values.every((value) => value === values[0] && value !== null)) return values[0]!;
    const producer = this.layout.graph.producer.get(tensor);
    throw new CannotFollow(producer ?? null, `the constant '${tensor}' is not one value Sink Lens can read`);
  }

  /** Whether a run-time tensor carries data computed by a MatMul (the scores), not only shapes. */
  private isScores(tensor: string): boolean {
    const cached = this.scoreLike.get(tensor);
    if (cached !== undefined) return cached;
    const index = this.layout.graph;
    const stack = [tensor];
    const seen = new Set<string>();
    let found = false;
    while (stack.length > 0 && !found) {
      const current = stack.pop()!;
      if (seen.has(current) || index.isStatic(current)) continue;
      seen.add(current);
      const node = index.producer.get(current);
      if (!node || node.opType === 'Shape' || node.opType === 'Size') continue;
      if (SCORES.has(node.opType)) found = true;
      else for (const input of node.inputs) if (input) stack.push(input);
    }
    this.scoreLike.set(tensor, found);
    return found;
  }
}

const truthy = (value: number) => (value !== 0 ? 1 : 0);
const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Max: Math.max,
  Min: Math.min,
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  Greater: (a, b) => Number(a > b),
  LessOrEqual: (a, b) => Number(a <= b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  And: (a, b) => truthy(a) & truthy(b),
  Or: (a, b) => truthy(a) | truthy(b),
  Xor: (a, b) => truthy(a) ^ truthy(b),
};
const UNARY: Record<string, (a: number) => number> = {
  Not: (a) => 1 - truthy(a),
  Neg: (a) => -a,
  Abs: Math.abs,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Reciprocal: (a) => 1 / a,
  Relu: (a) => Math.max(a, 0),
  Tanh: Math.tanh,
  Sigmoid: (a) => 1 / (1 + Math.exp(-a)),
  Floor: Math.floor,
  Ceil: Math.ceil,
};

function cast(value: number, to: number): number {
  if (to === DataType.Bool) return truthy(value);
  if (to === DataType.Float || to === DataType.Double || to === DataType.Float16 || to === DataType.BFloat16) return value;
  return Number.isFinite(value) ? Math.trunc(value) : value;
}
