/**
 * The shapes of a graph's tensors, as far as the graph proves them: declared shapes where the
 * exporter wrote them, otherwise inferred node by node in graph order (the usual operators of
 * decoder exports), with the values of small integer tensors (Reshape targets, Slice bounds)
 * folded where they are constants or read from other shapes. Graph edits check the ranks they
 * rely on here instead of assuming them: a TorchScript export of a `Conv1D` projection, say, feeds
 * its Gemm a [batch·T, D] view of the [batch, T, D] stream.
 */
import { OnnxFormatError, OnnxNode, TensorHeader, tensorValues } from '../onnx/proto';
import type { GraphIndex } from './graphIndex';
import { sliceBounds, sliceIndices } from './sliceBounds';

/** A size, a symbolic name (equal names are equal sizes), or null (unknown). */
export type Dim = number | string | null;
/** null: the rank is unknown. */
export type Shape = Dim[] | null;
/** The values of a small integer tensor (0-D or 1-D), each known or null. */
type Values = (number | null)[];

const MAX_VALUES = 64;
// A table of operator names, kept compact.
// prettier-ignore
const SAME_AS_FIRST = new Set([
  'Identity', 'Cast', 'CastLike', 'Relu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Not',
  'Softmax', 'LogSoftmax', 'Dropout', 'Clip', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'IsNaN', 'IsInf', 'Sign', 'Gelu',
  'FastGelu', 'BiasGelu', 'QuickGelu', 'Softplus', 'Trilu', 'LayerNormalization', 'SimplifiedLayerNormalization',
  'RMSNormalization', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization', 'CumSum', 'HardSigmoid', 'Elu',
  'LeakyRelu', 'Selu', 'Celu', 'Mish', 'RotaryEmbedding', 'Tile', 'Pad', 'TopK', 'ScatterElements', 'ScatterND', 'Scatter',
  'Swish', 'HardSwish', 'Softsign', 'ThresholdedRelu', 'Shrink', 'BiasAdd', 'BiasDropout', 'DequantizeLinear', 'QuantizeLinear',
  'DynamicQuantizeLinear', 'LpNormalization', 'MeanVarianceNormalization', 'InstanceNormalization', 'GroupNormalization',
]);
// prettier-ignore
const BROADCAST = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor',
  'Where', 'Max', 'Min', 'Sum', 'Mean', 'BitShift', 'PRelu',
]);
const MATMULS = new Set(['MatMul', 'FusedMatMul', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul']);
const REDUCTIONS = /^Reduce/;

export class TensorShapes {
  private readonly shapes = new Map<string, Shape>();
  private readonly values = new Map<string, Values>();

  constructor(private readonly index: GraphIndex) {
    const graph = index.graph;
    for (const [name, tensor] of graph.initializers) this.setConstant(name, tensor);
    for (const info of graph.inputs) if (!graph.initializers.has(info.name) && info.shape) this.shapes.set(info.name, info.shape);
    for (const node of graph.nodes) this.infer(node);
  }

  /** The tensor's shape, or null when its rank is unknown. */
  shapeOf(tensor: string): Shape {
    return this.shapes.get(tensor) ?? null;
  }

  rankOf(tensor: string): number | null {
    return this.shapeOf(tensor)?.length ?? null;
  }

  /** The last dimension when it is a known size. */
  lastDim(tensor: string): number | null {
    const dim = this.shapeOf(tensor)?.at(-1);
    return typeof dim === 'number' ? dim : null;
  }

  /** Values of a small constant (or shape-derived) integer tensor; null when not known at all. */
  valuesOf(tensor: string): (number | null)[] | null {
    return this.values.get(tensor) ?? null;
  }

  private setConstant(name: string, tensor: TensorHeader): void {
    this.shapes.set(name, tensor.dims);
    const size = tensor.dims.reduce((a, b) => a * b, 1);
    if (tensor.dims.length > 1 || size > MAX_VALUES || tensor.external || !tensor.bytes) return;
    try {
      this.values.set(name, tensorValues(tensor));
    } catch (error) {
      if (!(error instanceof OnnxFormatError)) throw error;
    }
  }

  private infer(node: OnnxNode): void {
    const declared = (name: string) => this.index.graph.valueInfo.get(name)?.shape ?? this.index.graph.outputs.find((output) => output.name === name)?.shape ?? null;
    let inferred: Shape[] = [];
    try {
      inferred = this.rule(node);
    } catch {
      inferred = []; // a malformed attribute: unknown, as for an operator without a rule
    }
    node.outputs.forEach((output, i) => {
      if (!output) return;
      const shape = merge(declared(output), inferred[i] ?? null);
      if (shape) this.shapes.set(output, shape);
    });
    if (node.outputs[0]) {
      const values = this.foldValues(node);
      if (values && values.length <= MAX_VALUES) this.values.set(node.outputs[0], values);
    }
  }

  private rule(node: OnnxNode): Shape[] {
    const s = (i: number) => (node.inputs[i] ? this.shapeOf(node.inputs[i]) : null);
    const attr = (name: string) => node.attributes.get(name);
    const op = node.opType;
    if (op === 'Constant') {
      const value = attr('value')?.t;
      if (value) {
        this.setConstant(node.outputs[0], value);
        return [value.dims];
      }
      if (attr('value_ints') || attr('value_floats')) return [[(attr('value_ints')?.ints ?? attr('value_floats')?.floats ?? []).length]];
      return [[]];
    }
    if (SAME_AS_FIRST.has(op)) {
      const first = s(0);
      // SkipLayerNormalization: output 3 is the sum, of the input's shape too; outputs 1-2 are statistics.
      if (op.startsWith('Skip') || op === 'LayerNormalization' || op === 'SimplifiedLayerNormalization') return [first, null, null, first];
      if (op === 'TopK') return [first ? first.map((dim, axis) => (axis === normalAxis(Number(attr('axis')?.i ?? -1), first.length) ? null : dim)) : null, null];
      return [first];
    }
    if (BROADCAST.has(op)) return [broadcast(node.inputs.filter(Boolean).map((input) => this.shapeOf(input)))];
    if (MATMULS.has(op)) return [matmul(s(0), s(1))];
    if (op === 'MatMulNBits') {
      const a = s(0);
      return [a ? [...a.slice(0, -1), Number(attr('N')?.i ?? 0) || null] : null];
    }
    if (op === 'Gemm') {
      const a = s(0);
      const b = s(1);
      const transA = attr('transA')?.i === 1n;
      const transB = attr('transB')?.i === 1n;
      return [[a?.length === 2 ? a[transA ? 1 : 0] : null, b?.length === 2 ? b[transB ? 0 : 1] : null]];
    }
    if (op === 'Transpose') {
      const input = s(0);
      if (!input) return [null];
      const perm = attr('perm')?.ints?.map(Number) ?? input.map((_, i) => input.length - 1 - i);
      return [perm.map((axis) => input[axis] ?? null)];
    }
    if (op === 'Reshape') return [this.reshaped(s(0), node.inputs[1], attr('allowzero')?.i === 1n)];
    if (op === 'Flatten') {
      const input = s(0);
      if (!input) return [[null, null]];
      const axis = normalAxis(Number(attr('axis')?.i ?? 1), input.length);
      return [[product(input.slice(0, axis)), product(input.slice(axis))]];
    }
    if (op === 'Unsqueeze') {
      const input = s(0);
      const axes = this.axes(node, 1);
      if (!input || !axes) return [null];
      const rank = input.length + axes.length;
      const inserted = new Set(axes.map((axis) => normalAxis(axis, rank)));
      const rest = [...input];
      return [Array.from({ length: rank }, (_, i) => (inserted.has(i) ? 1 : (rest.shift() ?? null)))];
    }
    if (op === 'Squeeze') {
      const input = s(0);
      const axes = this.axes(node, 1);
      if (!input) return [null];
      if (!axes) return input.every((dim) => typeof dim === 'number') ? [input.filter((dim) => dim !== 1)] : [null];
      const removed = new Set(axes.map((axis) => normalAxis(axis, input.length)));
      return [input.filter((_, i) => !removed.has(i))];
    }
    if (op === 'Slice') return [this.sliced(node)];
    if (op === 'Split') {
      const input = s(0);
      const axis = input ? normalAxis(Number(attr('axis')?.i ?? 0), input.length) : 0;
      const out = input ? input.map((dim, i) => (i === axis ? null : dim)) : null;
      return node.outputs.map(() => out);
    }
    if (op === 'Gather') {
      const data = s(0);
      const indices = s(1);
      if (!data || !indices) return [null];
      const axis = normalAxis(Number(attr('axis')?.i ?? 0), data.length);
      return [[...data.slice(0, axis), ...indices, ...data.slice(axis + 1)]];
    }
    if (op === 'GatherElements') return [s(1)];
    if (op === 'Concat') {
      const shapes = node.inputs.filter(Boolean).map((input) => this.shapeOf(input));
      const known = shapes.find((shape): shape is Dim[] => shape !== null);
      if (!known) return [null];
      const axis = normalAxis(Number(attr('axis')?.i ?? 0), known.length);
      const along = shapes.map((shape) => shape?.[axis] ?? null);
      return [known.map((dim, i) => (i === axis ? (along.every((d) => typeof d === 'number') ? (along as number[]).reduce((a, b) => a + b, 0) : null) : dim))];
    }
    if (op === 'Expand') {
      const target = this.valuesOf(node.inputs[1]) ?? lengthOnly(this.shapeOf(node.inputs[1]));
      return [target ? broadcast([s(0), target.map((dim) => (dim === null || dim === 1 ? null : dim))]) : null];
    }
    if (op === 'Shape') {
      const input = s(0);
      if (!input) return [[null]];
      const [start, end] = shapeRange(node, input.length);
      return [[Math.max(0, end - start)]];
    }
    if (op === 'Size') return [[]];
    if (REDUCTIONS.test(op) || op === 'ArgMax' || op === 'ArgMin') {
      const input = s(0);
      if (!input) return [null];
      const keep = (attr('keepdims')?.i ?? 1n) === 1n;
      const single = attr('axis')?.i;
      const axes = single !== undefined ? [Number(single)] : this.axes(node, 1);
      if (!axes || axes.length === 0) return [keep ? input.map(() => 1) : []];
      const reduced = new Set(axes.map((axis) => normalAxis(axis, input.length)));
      return [keep ? input.map((dim, i) => (reduced.has(i) ? 1 : dim)) : input.filter((_, i) => !reduced.has(i))];
    }
    if (op === 'ConstantOfShape') {
      const target = this.valuesOf(node.inputs[0]) ?? lengthOnly(s(0));
      return [target];
    }
    if (op === 'Range' || op === 'NonZero') return op === 'Range' ? [[null]] : [[s(0)?.length ?? null, null]];
    if (op === 'Einsum') {
      const equation = attr('equation')?.s?.replace(/\s/g, '') ?? '';
      const output = equation.split('->')[1];
      return [output !== undefined && !output.includes('...') ? Array.from(output, () => null) : null];
    }
    return this.fusedRule(node);
  }

  /** com.microsoft and ONNX attention operators, and EmbedLayerNormalization. */
  private fusedRule(node: OnnxNode): Shape[] {
    const input = node.inputs[0] ? this.shapeOf(node.inputs[0]) : null;
    switch (node.opType) {
      case 'Attention':
      case 'MultiHeadAttention':
      case 'GroupQueryAttention':
        // ONNX Attention keeps the rank of Q (3 or 4); the com.microsoft operators output [batch, sequence, hidden] whatever their inputs' form (packed QKV included).
        if (node.domain === '')
          return input?.length === 4 ? [[input[0], input[1], input[2], null], null, null, [input[0], null, input[2], null]] : [input?.length === 3 ? [input[0], input[1], null] : null];
        return [[input?.[0] ?? null, input?.[1] ?? null, null]];
      case 'EmbedLayerNormalization':
        return [input ? [input[0], input[1], null] : null, input ? [input[0]] : null, input ? [input[0], input[1], null] : null];
      default:
        return [];
    }
  }

  private reshaped(input: Shape, target: string, allowZero: boolean): Shape {
    const values = this.valuesOf(target) ?? lengthOnly(this.shapeOf(target));
    if (!values) return null;
    const dims: Dim[] = values.map((value, i) => (value === null || value === -1 ? null : value === 0 && !allowZero ? (input?.[i] ?? null) : value));
    const inferredAt = values.indexOf(-1);
    if (inferredAt >= 0 && input && input.every((dim) => typeof dim === 'number') && dims.every((dim, i) => i === inferredAt || typeof dim === 'number')) {
      const rest = dims.reduce<number>((product, dim, i) => (i === inferredAt ? product : product * (dim as number)), 1);
      if (rest > 0) dims[inferredAt] = (input as number[]).reduce((a, b) => a * b, 1) / rest;
    }
    return dims;
  }

  private sliced(node: OnnxNode): Shape {
    const input = this.shapeOf(node.inputs[0]);
    if (!input) return null;
    const bounds = sliceBounds(node, (tensor) => this.valuesOf(tensor));
    if (!bounds) {
      // Bounds computed at run time: only the sliced axes are unknown, when the axes are constants.
      const axes = node.attributes.get('axes')?.ints?.map(Number) ?? (node.inputs[3] ? this.valuesOf(node.inputs[3]) : null);
      if (!axes || axes.some((axis) => axis === null)) return input.map(() => null);
      const sliced = new Set((axes as number[]).map((axis) => normalAxis(axis, input.length)));
      return input.map((dim, i) => (sliced.has(i) ? null : dim));
    }
    const out = [...input];
    bounds.axes.forEach((axis, i) => {
      const at = normalAxis(axis, input.length);
      const size = input[at];
      out[at] = typeof size === 'number' ? sliceIndices(size, bounds.starts[i], bounds.ends[i], bounds.steps[i]).length : null;
    });
    return out;
  }

  private axes(node: OnnxNode, inputIndex: number): number[] | null {
    const attribute = node.attributes.get('axes')?.ints;
    if (attribute) return attribute.map(Number);
    const input = node.inputs[inputIndex];
    if (!input) return [];
    const values = this.valuesOf(input);
    return values && values.every((value) => value !== null) ? (values as number[]) : null;
  }

  /** Constant folding of the small integer arithmetic that builds shapes. */
  private foldValues(node: OnnxNode): Values | null {
    const v = (i: number) => (node.inputs[i] ? this.valuesOf(node.inputs[i]) : null);
    switch (node.opType) {
      case 'Constant': {
        const attribute = node.attributes.get('value_ints')?.ints ?? (node.attributes.get('value_int')?.i !== undefined ? [node.attributes.get('value_int')!.i!] : null);
        return attribute ? attribute.map(Number) : (this.values.get(node.outputs[0]) ?? null);
      }
      case 'Shape': {
        const input = this.shapeOf(node.inputs[0]);
        if (!input) return null;
        const [start, end] = shapeRange(node, input.length);
        return input.slice(start, end).map((dim) => (typeof dim === 'number' ? dim : null));
      }
      case 'Identity':
      case 'Cast':
      case 'Squeeze':
      case 'Unsqueeze':
      case 'Reshape':
        return v(0);
      case 'Concat': {
        const parts = node.inputs.filter(Boolean).map((input) => this.valuesOf(input) ?? lengthOnly(this.shapeOf(input)));
        return parts.every(Boolean) ? parts.flatMap((part) => part!) : null;
      }
      case 'Gather': {
        const data = v(0);
        const indices = v(1);
        if (!data || !indices) return data && this.shapeOf(node.inputs[1])?.length === 0 ? [null] : null;
        return indices.map((i) => (i === null ? null : (data[i < 0 ? i + data.length : i] ?? null)));
      }
      case 'Slice': {
        const data = v(0);
        const bounds = sliceBounds(node, (tensor) => this.valuesOf(tensor));
        if (!data || !bounds || bounds.axes.some((axis) => normalAxis(axis, 1) !== 0)) return null;
        return sliceIndices(data.length, bounds.starts[0], bounds.ends[0], bounds.steps[0]).map((i) => data[i]);
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const a = v(0);
        const b = v(1);
        if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return null;
        const length = Math.max(a.length, b.length);
        return Array.from({ length }, (_, i) => arithmetic(node.opType, a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
      }
      default:
        return null;
    }
  }
}

function normalAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function shapeRange(node: OnnxNode, rank: number): [number, number] {
  const clamp = (value: number) => Math.min(Math.max(value < 0 ? value + rank : value, 0), rank);
  return [clamp(Number(node.attributes.get('start')?.i ?? 0)), clamp(Number(node.attributes.get('end')?.i ?? rank))];
}

function lengthOnly(shape: Shape): Values | null {
  const length = shape?.length === 1 ? shape[0] : null;
  return typeof length === 'number' && length <= MAX_VALUES ? Array.from({ length }, () => null) : null;
}

function product(dims: Dim[]): Dim {
  return dims.every((dim) => typeof dim === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : null;
}

function arithmetic(op: string, a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  if (op === 'Add') return a + b;
  if (op === 'Sub') return a - b;
  if (op === 'Mul') return a * b;
  return b === 0 ? null : Math.trunc(a / b);
}

/** The declared shape where it has a rank, with unknown dims filled from the inferred one. */
function merge(declared: Shape, inferred: Shape): Shape {
  if (!declared) return inferred;
  if (!inferred || inferred.length !== declared.length) return declared;
  return declared.map((dim, i) => dim ?? inferred[i]);
}

/** Numpy-style broadcasting; an operand of unknown rank leaves the result's rank unknown. */
function broadcast(shapes: Shape[]): Shape {
  if (shapes.some((shape) => shape === null)) return null;
  const all = shapes as Dim[][];
  const rank = Math.max(0, ...all.map((shape) => shape.length));
  return Array.from({ length: rank }, (_, i) => {
    const dims = all.map((shape) => shape[shape.length - rank + i]).filter((dim) => dim !== undefined && dim !== 1);
    if (dims.length === 0) return 1;
    return dims.every((dim) => dim === dims[0]) ? dims[0] : null;
  });
}

function matmul(a: Shape, b: Shape): Shape {
  if (!a || !b || a.length === 0 || b.length === 0) return null;
  const left = a.length === 1 ? [1, a[0]] : a;
  const right = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcast([left.slice(0, -2), right.slice(0, -2)]) ?? [];
  const out = [...batch, left[left.length - 2], right[right.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}
