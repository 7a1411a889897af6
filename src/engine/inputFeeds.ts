/**
 * What a fresh, unpadded prompt of T tokens feeds every input a decoder export declares besides
 * the ids, in the input's declared element type and rank: an attention mask of ones [batch, T], or
 * causal [batch, 1, T, T] / [batch, T, T] with the values the graph's use of it calls for
 * (graph/maskUsage.ts); positions 0…T-1 as [batch, T], [1, T] or [T]; an empty KV cache (every
 * symbolic dimension but the batch is the past length, 0); `use_cache_branch` false. Fixed
 * (numeric) dimensions are kept, and a prompt that does not fit them is refused with the fixed
 * size and the prompt's length. Any other input is refused at load, naming it.
 */
import * as ort from 'onnxruntime-node';
import { SinkLensError, UnsupportedGraphError } from './errors';
import type { DecoderLayout } from './graph/decoderLayout';
import { maskFill, MaskFill } from './graph/maskUsage';
import { describeInput } from './graph/streamStart';
import { DataType, type ValueInfo } from './onnx/proto';

export interface ExtraFeed {
  input: ValueInfo;
  /** The tensor for `batch` rows of `tokens` tokens; throws when the input's fixed size does not fit. */
  make(tokens: number, batch: number): ort.Tensor;
}

export interface FeedPlan {
  feeds: ExtraFeed[];
  /** The batch size the ids input fixes (rows then run in groups of this size), or null. */
  fixedBatch: number | null;
  /** The token count the ids input fixes, or null. */
  fixedLength: number | null;
}

interface Typed {
  type: ort.Tensor.Type;
  make: (values: number[]) => ort.Tensor.DataType;
}

/**
 * Element types Sink Lens can feed, by ONNX type. bfloat16 and float16 inputs are declared float32
 * in the probed copy (graph/bfloat16Boundary.ts, graph/float16Inputs.ts) and cast where they enter.
 */
const TYPED: Record<number, Typed> = {
  [DataType.Float]: { type: 'float32', make: (v) => Float32Array.from(v) },
  [DataType.BFloat16]: { type: 'float32', make: (v) => Float32Array.from(v) },
  [DataType.Float16]: { type: 'float32', make: (v) => Float32Array.from(v) },
  [DataType.Double]: { type: 'float64', make: (v) => Float64Array.from(v) },
  [DataType.Int32]: { type: 'int32', make: (v) => Int32Array.from(v) },
  [DataType.Int64]: { type: 'int64', make: (v) => BigInt64Array.from(v, (value) => BigInt(value)) },
  [DataType.Bool]: { type: 'bool', make: (v) => Uint8Array.from(v, (value) => (value ? 1 : 0)) },
  [DataType.Uint8]: { type: 'uint8', make: (v) => Uint8Array.from(v) },
  [DataType.Int8]: { type: 'int8', make: (v) => Int8Array.from(v) },
};

const KNOWN = 'token ids, an attention mask ([batch, sequence] ones, or a causal [batch, 1, sequence, sequence] mask), position ids, an empty past key/value cache or use_cache_branch';

/**
 * What planning asks of the graph beyond its declared inputs, and the answers it got as data: a
 * model opened from the open cache (model/openCache.ts) has no parsed graph to ask, only these.
 */
export interface FeedQuestions {
  isRead(input: string): boolean;
  maskFill(input: ValueInfo): MaskFill;
  readonly answers: FeedAnswers;
}

export interface FeedAnswers {
  /** Inputs that no node reads. */
  unread: string[];
  maskFills: Record<string, MaskFill>;
}

/** Answers from the parsed graph, each one recorded as it is given. */
export function askGraph(layout: DecoderLayout): FeedQuestions {
  const answers: FeedAnswers = { unread: [], maskFills: {} };
  return {
    answers,
    isRead(input) {
      const read = layout.graph.consumersOf(input).length > 0;
      if (!read && !answers.unread.includes(input)) answers.unread.push(input);
      return read;
    },
    maskFill(input) {
      return (answers.maskFills[input.name] ??= maskFill(layout, input));
    },
  };
}

/** The answers an earlier plan of the same graph recorded. */
export function askRecorded(answers: FeedAnswers): FeedQuestions {
  return {
    answers,
    isRead: (input) => !answers.unread.includes(input),
    maskFill(input) {
      const fill = answers.maskFills[input.name];
      if (!fill) throw new Error(`no mask fill was recorded for input '${input.name}'`); // the plan of the same graph asks the same questions
      return fill;
    },
  };
}

export interface FeedGraph {
  inputs: ValueInfo[];
  initializers: { has(name: string): boolean };
}

export function planFeeds(graph: FeedGraph, idsInput: string, questions: FeedQuestions): FeedPlan {
  const ids = graph.inputs.find((input) => input.name === idsInput);
  const fixed = (axis: number) => (typeof ids?.shape?.[axis] === 'number' ? (ids.shape[axis] as number) : null);
  const feeds: ExtraFeed[] = [];
  for (const input of graph.inputs) {
    if (input.name === idsInput || graph.initializers.has(input.name) || input.name.startsWith('sinklens_')) continue;
    feeds.push({ input, make: feedFor(input, questions, ids?.shape ?? null) });
  }
  return { feeds, fixedBatch: fixed(0), fixedLength: fixed(1) };
}

/** The ids' own fixed length, checked before a run. */
export function checkIdsFit(plan: FeedPlan, idsInput: string, tokens: number): void {
  if (plan.fixedLength !== null && plan.fixedLength !== tokens) {
    throw new SinkLensError(
      'model',
      'fixed-length',
      `this model's input '${idsInput}' has a fixed length of ${plan.fixedLength} tokens, but the prompt has ${tokens}; give exactly ${plan.fixedLength} tokens, or re-export the model with a dynamic sequence axis`,
    );
  }
}

function feedFor(input: ValueInfo, questions: FeedQuestions, idsShape: ValueInfo['shape']): (tokens: number, batch: number) => ort.Tensor {
  const name = input.name;
  const typed = TYPED[input.elemType ?? 0];
  const shape = input.shape;
  const refuse = (need: string) => new UnsupportedGraphError(`input ${describeInput(input)} is not one Sink Lens can feed: ${need}`);
  if (!typed || !shape) throw refuse(`it needs ${KNOWN}, of a numeric or boolean type and a known rank`);
  if (!questions.isRead(name)) {
    // Nothing reads it: zeros of its declared shape, its symbolic sizes named as the ids' are the batch and T, others 1.
    return grid(
      input,
      typed,
      (_, batch, tokens) => shape.map((dim) => (typeof dim === 'number' ? dim : dim !== null && dim === idsShape?.[0] ? batch : dim !== null && dim === idsShape?.[1] ? tokens : 1)),
      () => 0,
    );
  }
  if (/^past|past_key_values|\.past_/.test(name)) {
    // [batch, heads, past, head size] or [2, batch, heads, past, head size]: every symbolic dimension but the batch is the past length, 0.
    const batchAxis = pastBatchAxis(shape, idsShape);
    return (_, batch) => {
      const dims = shape.map((dim, axis) => (typeof dim === 'number' ? dim : axis === batchAxis ? batch : 0));
      return new ort.Tensor(typed.type, typed.make([]), dims);
    };
  }
  if (name === 'use_cache_branch')
    return () =>
      new ort.Tensor(
        typed.type,
        typed.make([0]),
        shape.map(() => 1),
      );
  if (/mask/i.test(name)) {
    if (shape.length === 2)
      return grid(
        input,
        typed,
        (_, batch, tokens) => [batchDim(shape[0], batch), fits(input, shape[1], tokens, 'exact')],
        () => 1,
      );
    if (shape.length === 3 || shape.length === 4) {
      const fill = questions.maskFill(input);
      return grid(
        input,
        typed,
        (_, batch, tokens) => causalDims(input, batch, tokens),
        (index, dims) => causalValue(index, dims, fill),
      );
    }
    throw refuse(`it needs a [batch, sequence] mask (of ones) or a causal [batch, 1, sequence, sequence] one, not a ${shape.length}-D mask`);
  }
  if (/position/i.test(name) && (shape.length === 1 || shape.length === 2) && input.elemType !== DataType.Bool) {
    const dims = (batch: number, tokens: number) => (shape.length === 1 ? [fits(input, shape[0], tokens, 'exact')] : [batchDim(shape[0], batch), fits(input, shape[1], tokens, 'exact')]);
    return grid(
      input,
      typed,
      (_, batch, tokens) => dims(batch, tokens),
      (index, shapeNow) => index % shapeNow[shapeNow.length - 1],
    );
  }
  throw refuse(`it needs ${KNOWN}; export the model without '${name}'`);
}

/** The batch axis of a cache input: named as the ids' batch (or "batch…"), else 1 of [2, batch, …], else 0. */
function pastBatchAxis(shape: (number | string | null)[], idsShape: ValueInfo['shape']): number {
  const named = shape.findIndex((dim) => typeof dim === 'string' && (dim === idsShape?.[0] || /batch/i.test(dim)));
  if (named >= 0) return named;
  return shape.length === 5 && shape[0] === 2 ? 1 : 0;
}

/** A tensor of the input's type whose every element is `value(flat index, dims)`. */
function grid(input: ValueInfo, typed: Typed, dimsFor: (input: ValueInfo, batch: number, tokens: number) => number[], value: (index: number, dims: number[]) => number) {
  return (tokens: number, batch: number): ort.Tensor => {
    const dims = dimsFor(input, batch, tokens);
    const size = dims.reduce((a, b) => a * b, 1);
    return new ort.Tensor(typed.type, typed.make(Array.from({ length: size }, (_, i) => value(i, dims))), dims);
  };
}

/** A batch axis: its fixed size, or the batch. */
function batchDim(dim: number | string | null, batch: number): number {
  return typeof dim === 'number' ? dim : batch;
}

/**
 * A token axis: T, or its fixed size when the prompt fits it ('exact': the same length; 'at most':
 * the model slices the first T itself, as a mask built for the longest prompt is).
 */
function fits(input: ValueInfo, dim: number | string | null, tokens: number, rule: 'exact' | 'at most'): number {
  if (typeof dim !== 'number') return tokens;
  if (dim === tokens || (rule === 'at most' && tokens <= dim)) return dim;
  const size = rule === 'exact' ? `a fixed length of ${dim} positions` : `room for at most ${dim} positions`;
  throw new SinkLensError(
    'model',
    'fixed-length',
    `this model's input '${input.name}' has ${size}, but the prompt has ${tokens} tokens; ${rule === 'exact' ? `give exactly ${dim} tokens` : 'shorten the prompt'}, or re-export the model with a dynamic sequence axis`,
  );
}

/** [batch, 1 (or a fixed head count), queries, keys] or [batch, queries, keys]. */
function causalDims(input: ValueInfo, batch: number, tokens: number): number[] {
  const shape = input.shape!;
  const [queries, keys] = shape.slice(-2).map((dim) => fits(input, dim, tokens, 'at most'));
  const middle = shape.length === 4 ? [typeof shape[1] === 'number' ? shape[1] : 1] : [];
  return [batchDim(shape[0], batch), ...middle, queries, keys];
}

/** Key k is visible from query q when k ≤ q, queries aligned with the last keys (as after a cache). */
function causalValue(index: number, dims: number[], fill: MaskFill): number {
  const keys = dims[dims.length - 1];
  const queries = dims[dims.length - 2];
  const k = index % keys;
  const q = Math.floor(index / keys) % queries;
  return k <= q + (keys - queries) ? fill.visible : fill.hidden;
}
