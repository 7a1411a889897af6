/**
 * Attention probabilities for fused operators that never materialise them
 * (com.microsoft Attention, MultiHeadAttention, GroupQueryAttention; ONNX Attention when its own
 * probability output is taken already): softmax(scale · Q Kᵀ + causal mask) rebuilt from the
 * operator's own Q and K inputs, with grouped KV heads expanded. With `verify`, P·V is also
 * returned, to be compared with the operator's output.
 */
import { UnsupportedGraphError } from '../errors';
import { DataType, OnnxNode } from '../onnx/proto';
import type { GraphIndex } from './graphIndex';
import { EditBuilder, int, ints } from './editBuilder';

export interface RecomputedAttention {
  probabilities: string;
  heads: number;
  kvHeads: number;
  /** [B, T, H·hd] P·V, and the fused operator's own output as float32 (verification only). */
  verification?: { recomputed: string; fused: string };
}

interface QkvSource {
  q: string;
  k: string;
  v: string;
  /** 0 in `fourDimensional` sources: the counts are read from the tensors' shapes at run time. */
  heads: number;
  kvHeads: number;
  /** 0 in `fourDimensional` sources, as above. */
  headSize: number;
  scale: number | null;
  /** Inputs already split into heads: [B, H, T, hd] (ONNX Attention's 4-D form); the output is too. */
  fourDimensional: boolean;
  window: number;
}

/** `elemType`: the operator's activation type (of its Q input), which its output has too. */
export function recomputeAttention(edits: EditBuilder, graph: GraphIndex, node: OnnxNode, elemType: number, verify: boolean): RecomputedAttention {
  const source = qkvSource(edits, graph, node);
  const { heads, kvHeads, headSize } = source;
  const where = `${node.domain ? `${node.domain}.` : ''}${node.opType} at node '${node.name}'`;
  if (!source.fourDimensional && (heads <= 0 || kvHeads <= 0 || heads % kvHeads !== 0 || !Number.isInteger(headSize))) {
    throw new UnsupportedGraphError(`expected head counts that divide the hidden size, found ${heads} heads and ${kvHeads} KV heads at ${where}`);
  }
  const q = splitHeads(edits, edits.toFloat(source.q, elemType), heads, headSize, source.fourDimensional, [0, 2, 1, 3]);
  const k = expandKv(edits, splitHeads(edits, edits.toFloat(source.k, elemType), kvHeads, headSize, source.fourDimensional, [0, 2, 3, 1]), source, q, true);
  const scale = source.scale !== null ? edits.float([source.scale], []) : defaultScale(edits, q, headSize);
  const scores = edits.node('Mul', [edits.node('MatMul', [q, k]), scale]);
  const probabilities = edits.node('Softmax', [edits.node('Where', [causalMask(edits, q, source.window), edits.float([-Infinity], []), scores])], { axis: int(3) });
  const result: RecomputedAttention = { probabilities, heads, kvHeads };
  if (verify) result.verification = timesValues(edits, source, node, q, probabilities, DataType.Float, elemType);
  return result;
}

/**
 * P·V from probabilities the operator output itself (ONNX Attention's output 3, of the operator's
 * type), next to the operator's own output, both as float32: the check that they are the
 * probabilities the operator used.
 */
export function operatorOutputCheck(edits: EditBuilder, graph: GraphIndex, node: OnnxNode, probabilities: string, elemType: number): { recomputed: string; fused: string } {
  const source = qkvSource(edits, graph, node);
  return timesValues(edits, source, node, source.q, probabilities, elemType, elemType);
}

/** [B, T, H·hd] P·V (float32) and the operator's output as float32 in the same layout; `queries` [B, H, T, hd] in the 4-D form. */
function timesValues(edits: EditBuilder, source: QkvSource, node: OnnxNode, queries: string, probabilities: string, probabilityType: number, elemType: number) {
  const v = expandKv(edits, splitHeads(edits, edits.toFloat(source.v, elemType), source.kvHeads, source.headSize, source.fourDimensional, [0, 2, 1, 3]), source, queries, false);
  const merge = (heads: string) => edits.node('Reshape', [edits.node('Transpose', [heads], { perm: ints([0, 2, 1, 3]) }), edits.int64([0, 0, -1])]);
  const recomputed = merge(edits.node('MatMul', [edits.toFloat(probabilities, probabilityType), v]));
  const output = edits.toFloat(node.outputs[0], elemType);
  return { recomputed, fused: source.fourDimensional ? merge(output) : output };
}

/** 1/√hd, with hd read from the queries' shape [B, H, T, hd] when the graph does not give it. */
function defaultScale(edits: EditBuilder, queries: string, headSize: number): string {
  if (headSize > 0) return edits.float([1 / Math.sqrt(headSize)], []);
  const size = edits.node('Cast', [edits.node('Gather', [edits.node('Shape', [queries]), edits.int64([3], [])], { axis: int(0) })], { to: int(DataType.Float) });
  return edits.node('Reciprocal', [edits.node('Sqrt', [size])]);
}

function attributeInt(node: OnnxNode, name: string, fallback: number): number {
  const value = node.attributes.get(name)?.i;
  return value === undefined ? fallback : Number(value);
}

function attributeFloat(node: OnnxNode, name: string): number | null {
  const value = node.attributes.get(name)?.f;
  return value === undefined || value === 0 ? null : value;
}

function widthOf(graph: GraphIndex, tensor: string): number | null {
  const shape = graph.graph.valueInfo.get(tensor)?.shape ?? graph.graph.inputs.find((input) => input.name === tensor)?.shape;
  const last = shape?.[shape.length - 1];
  if (typeof last === 'number') return last;
  const producer = graph.producer.get(tensor);
  if (producer?.opType === 'MatMul') {
    const weight = graph.graph.initializers.get(producer.inputs[1]);
    if (weight) return weight.dims[weight.dims.length - 1];
  }
  if (producer && producer.opType !== 'MatMul' && producer.inputs[0]) return widthOf(graph, producer.inputs[0]);
  return null;
}

function qkvSource(edits: EditBuilder, graph: GraphIndex, node: OnnxNode): QkvSource {
  const where = `${node.domain ? `${node.domain}.` : ''}${node.opType} at node '${node.name}'`;
  const unsupported = (what: string) => new UnsupportedGraphError(`${what} at ${where} is not supported yet`);
  if (attributeFloat(node, 'softcap') !== null) throw unsupported('attention softcapping');
  if (attributeInt(node, 'smooth_softmax', 0) !== 0) throw unsupported('smooth softmax');

  if (node.opType === 'Attention' && node.domain === 'com.microsoft') {
    if (attributeInt(node, 'unidirectional', 0) !== 1) throw new UnsupportedGraphError(`expected causal attention (unidirectional=1) in a decoder, found bidirectional ${where}`);
    if (attributeInt(node, 'do_rotary', 0) !== 0) throw unsupported('rotary embedding inside Attention');
    const heads = attributeInt(node, 'num_heads', 0);
    const weights = graph.graph.initializers.get(node.inputs[1]);
    if (!weights) throw unsupported('Attention without a constant QKV weight');
    const sizes = node.attributes.get('qkv_hidden_sizes')?.ints?.map(Number) ?? Array(3).fill(weights.dims[1] / 3);
    let qkv = edits.node('MatMul', [node.inputs[0], node.inputs[1]]);
    if (node.inputs[2]) qkv = edits.node('Add', [qkv, node.inputs[2]]);
    const slice = (from: number, to: number) => edits.node('Slice', [qkv, edits.int64([from]), edits.int64([to]), edits.int64([2])]);
    const [dq, dk, dv] = sizes;
    return {
      q: slice(0, dq),
      k: slice(dq, dq + dk),
      v: slice(dq + dk, dq + dk + dv),
      heads,
      kvHeads: heads,
      headSize: dq / heads,
      scale: attributeFloat(node, 'scale'),
      fourDimensional: false,
      window: 0,
    };
  }

  if (node.opType === 'MultiHeadAttention') {
    if (!node.inputs[1] || !node.inputs[2]) throw unsupported('packed QKV in MultiHeadAttention');
    if (node.inputs[3]) throw unsupported('MultiHeadAttention with a fused QKV bias');
    const heads = attributeInt(node, 'num_heads', 0);
    const width = widthOf(graph, node.inputs[0]);
    if (!width) throw unsupported('MultiHeadAttention whose query width cannot be read from the graph');
    return { q: node.inputs[0], k: node.inputs[1], v: node.inputs[2], heads, kvHeads: heads, headSize: width / heads, scale: attributeFloat(node, 'scale'), fourDimensional: false, window: 0 };
  }

  if (node.opType === 'GroupQueryAttention') {
    const heads = attributeInt(node, 'num_heads', 0);
    const kvHeads = attributeInt(node, 'kv_num_heads', 0);
    const window = Math.max(0, attributeInt(node, 'local_window_size', -1));
    let q = node.inputs[0];
    let k = node.inputs[1];
    let v = node.inputs[2];
    let headSize: number;
    if (!k) {
      const total = widthOf(graph, q);
      if (!total) throw unsupported('packed GroupQueryAttention whose width cannot be read from the graph');
      headSize = total / (heads + 2 * kvHeads);
      const packed = q;
      const slice = (from: number, to: number) => edits.node('Slice', [packed, edits.int64([from]), edits.int64([to]), edits.int64([2])]);
      q = slice(0, heads * headSize);
      k = slice(heads * headSize, (heads + kvHeads) * headSize);
      v = slice((heads + kvHeads) * headSize, (heads + 2 * kvHeads) * headSize);
    } else {
      const width = widthOf(graph, q);
      if (!width) throw unsupported('GroupQueryAttention whose query width cannot be read from the graph');
      headSize = width / heads;
    }
    if (attributeInt(node, 'do_rotary', 0) !== 0) {
      const rotary = (tensor: string, count: number) =>
        edits.node(
          'RotaryEmbedding',
          [tensor, positionIds(edits, tensor), node.inputs[7], node.inputs[8]],
          { interleaved: int(attributeInt(node, 'rotary_interleaved', 0)), num_heads: int(count) },
          undefined,
          'com.microsoft',
        );
      q = rotary(q, heads);
      k = rotary(k, kvHeads);
    }
    return { q, k, v, heads, kvHeads, headSize, scale: attributeFloat(node, 'scale'), fourDimensional: false, window };
  }

  if (node.opType === 'Attention' && node.domain === '') {
    // An attn_mask or past key input changes nothing here: Sink Lens feeds an all-ones attention
    // mask and an empty cache, so the causal mask below is the whole mask.
    // The 3-D form names its head counts (q_num_heads, kv_num_heads); the 4-D form has them in its shapes.
    const heads = attributeInt(node, 'q_num_heads', 0);
    const fourDimensional = heads === 0;
    if (fourDimensional) return { q: node.inputs[0], k: node.inputs[1], v: node.inputs[2], heads: 0, kvHeads: 0, headSize: 0, scale: attributeFloat(node, 'scale'), fourDimensional, window: 0 };
    const kvHeads = attributeInt(node, 'kv_num_heads', heads);
    const width = widthOf(graph, node.inputs[0]);
    if (!width) throw unsupported('Attention whose query width cannot be read from the graph');
    return { q: node.inputs[0], k: node.inputs[1], v: node.inputs[2], heads, kvHeads, headSize: width / heads, scale: attributeFloat(node, 'scale'), fourDimensional, window: 0 };
  }
  throw unsupported(node.opType);
}

/** [B, T, n·hd] → [B, n, T, hd] (or [B, n, hd, T] for keys). */
function splitHeads(edits: EditBuilder, tensor: string, count: number, headSize: number, fourDimensional: boolean, perm: number[]): string {
  if (fourDimensional) return perm[2] === 3 ? edits.node('Transpose', [tensor], { perm: ints([0, 1, 3, 2]) }) : tensor;
  return edits.node('Transpose', [edits.node('Reshape', [tensor, edits.int64([0, 0, count, headSize])])], { perm: ints(perm) });
}

/** Repeats each KV head for the query heads that share it: [B, kvH, a, b] → [B, H, a, b]. */
function expandKv(edits: EditBuilder, tensor: string, source: QkvSource, queries: string, keys: boolean): string {
  const { heads, kvHeads, headSize } = source;
  if (source.fourDimensional) return expandKvFromShapes(edits, tensor, queries);
  if (heads === kvHeads) return tensor;
  const grouped = keys ? edits.int64([0, kvHeads, 1, headSize, -1]) : edits.int64([0, kvHeads, 1, -1, headSize]);
  const expanded = edits.node('Expand', [edits.node('Reshape', [tensor, grouped]), edits.int64([1, 1, heads / kvHeads, 1, 1])]);
  return edits.node('Reshape', [expanded, keys ? edits.int64([0, heads, headSize, -1]) : edits.int64([0, heads, -1, headSize])]);
}

/** As expandKv, with H (from the queries) and kvH read from the shapes at run time. */
function expandKvFromShapes(edits: EditBuilder, tensor: string, queries: string): string {
  const shape = edits.node('Shape', [tensor]);
  const dim = (from: string, axis: number) => edits.node('Gather', [from, edits.int64([axis])], { axis: int(0) });
  const heads = dim(edits.node('Shape', [queries]), 1);
  const repeats = edits.node('Div', [heads, dim(shape, 1)]);
  const grouped = edits.node('Unsqueeze', [tensor, edits.int64([2])]);
  const expanded = edits.node('Expand', [grouped, edits.node('Concat', [edits.int64([1, 1]), repeats, edits.int64([1, 1])], { axis: int(0) })]);
  return edits.node('Reshape', [expanded, edits.node('Concat', [edits.int64([0]), heads, dim(shape, 2), dim(shape, 3)], { axis: int(0) })]);
}

/** [T, T] booleans, true where a query may not see a key: the future (and, with a window, the far past). */
function causalMask(edits: EditBuilder, queries: string, window: number): string {
  const tokens = edits.node('Gather', [edits.node('Shape', [queries]), edits.int64([2], [])], { axis: int(0) });
  const positions = edits.node('Range', [edits.int64([0], []), tokens, edits.int64([1], [])]);
  const rows = edits.node('Reshape', [positions, edits.int64([-1, 1])]);
  const columns = edits.node('Reshape', [positions, edits.int64([1, -1])]);
  const future = edits.node('Less', [rows, columns]);
  if (window <= 0) return future;
  const tooFar = edits.node('Less', [edits.node('Add', [columns, edits.int64([window - 1], [])]), rows]);
  return edits.node('Or', [future, tooFar]);
}

/** 0 … T-1 as [1, T], for a rotary embedding applied on our side. */
function positionIds(edits: EditBuilder, tensor: string): string {
  const tokens = edits.node('Gather', [edits.node('Shape', [tensor]), edits.int64([1], [])], { axis: int(0) });
  return edits.node('Reshape', [edits.node('Range', [edits.int64([0], []), tokens, edits.int64([1], [])]), edits.int64([1, -1])]);
}
