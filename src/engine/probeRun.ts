/** One forward pass of the probed model, and its outputs unpacked per depth and per layer. */
import * as ort from 'onnxruntime-node';
import { SinkLensError, UnsupportedGraphError } from './errors';
import { PROBE_INPUTS, probeOutputs } from './graph/probes';
import type { ProbedModel } from './model/preparedModel';
import type { ValueInfo } from './onnx/proto';

export interface ProbeRequest {
  /** One or more token-id rows of equal length, run as one batch. */
  rows: number[][];
  /** Leading positions whose full hidden state to return at each depth (default 1, P0 only). */
  prefixLength?: number;
  /** Layer whose full attention map to return (of row 0). */
  mapLayer?: number;
  /** [row][layer][head] → 1 keeps, 0 removes a head's contribution; omitted: every head kept. */
  headMask?: number[][][];
  /** Further graph outputs to fetch as float32 (e.g. verification outputs). */
  extraOutputs?: string[];
}

/** One row's measurements. */
export interface RowProbes {
  /** [depth][T] */
  norms: Float32Array[];
  /** [depth][prefix * hidden] */
  hidden: Float32Array[];
  /** [depth][T]: cos(h[d][t], h[d][0]) */
  p0Cosine: Float32Array[];
  /** [depth]: the lower median of |h[d]| over all positions and dims (Sun et al.'s reference magnitude). */
  layerMedian: number[];
  /** [layer][head * T + q] */
  firstTokenAttention: Float32Array[];
  /** [layer][k]: (1/(H·T)) Σ_h Σ_q A[l,h,q,k]. */
  received: Float32Array[];
  /** [layer][T]; null for a mixture-of-experts layer (no single MLP activation). */
  mlpNorms: (Float32Array | null)[];
  /** [layer][prefix * intermediate]; null as above. */
  mlpHidden: (Float32Array | null)[];
}

export interface ProbeResults {
  tokens: number;
  heads: number;
  hiddenSize: number;
  rows: RowProbes[];
  /** [head][q][k] of the requested layer, row 0. */
  attentionMap: Float32Array | null;
  extra: Record<string, Float32Array>;
}

const TYPED: Record<number, { type: ort.Tensor.Type; make: (length: number) => ort.Tensor.DataType }> = {
  1: { type: 'float32', make: (n) => new Float32Array(n) },
  10: { type: 'float16', make: (n) => new Uint16Array(n) },
  // The probed copy declares bfloat16 inputs as float32 (graph/bfloat16Boundary.ts): JS has no bfloat16 tensor.
  16: { type: 'float32', make: (n) => new Float32Array(n) },
  6: { type: 'int32', make: (n) => new Int32Array(n) },
  7: { type: 'int64', make: (n) => new BigInt64Array(n) },
  9: { type: 'bool', make: (n) => new Uint8Array(n) },
};

/** A [B, T] integer tensor of the input's declared type, the same row repeated. */
function integerRows(input: ValueInfo, values: (i: number) => number, length: number, batch: number): ort.Tensor {
  const size = length * batch;
  if (input.elemType === 6) return new ort.Tensor('int32', Int32Array.from({ length: size }, (_, i) => values(i % length)), [batch, length]);
  return new ort.Tensor('int64', BigInt64Array.from({ length: size }, (_, i) => BigInt(values(i % length))), [batch, length]);
}

/**
 * What a fresh, unpadded prompt feeds each input that decoder exports declare besides the ids: an
 * all-ones attention mask, positions 0…T-1, empty past key/values (every symbolic dimension but the
 * batch is the past length, 0) and `use_cache_branch` false. Null for an input we do not know.
 */
function extraFeed(input: ValueInfo, length: number, batch: number): ort.Tensor | null {
  const name = input.name;
  if (name === 'attention_mask') return integerRows(input, () => 1, length, batch);
  if (name === 'position_ids') return integerRows(input, (i) => i, length, batch);
  if (name === 'use_cache_branch') return new ort.Tensor('bool', Uint8Array.of(0), [1]);
  if (/^past|past_key_values|\.past_/.test(name)) {
    const typed = TYPED[input.elemType ?? 1];
    if (!typed || !input.shape) return null;
    const dims = input.shape.map((dim, axis) => (typeof dim === 'number' ? dim : /batch/i.test(String(dim)) || (axis === 0 && input.shape!.length === 4) ? batch : 0));
    return new ort.Tensor(typed.type, typed.make(0), dims);
  }
  return null;
}

export function checkInputsSupported(prepared: ProbedModel): void {
  const initializers = prepared.model.graph.initializers;
  for (const input of prepared.model.graph.inputs) {
    if (input.name === prepared.layout.idsInput || initializers.has(input.name) || input.name.startsWith('sinklens_')) continue;
    if (extraFeed(input, 1, 1) === null) {
      throw new UnsupportedGraphError(
        `input '${input.name}' is not one Sink Lens knows how to feed (expected input_ids, attention_mask, position_ids, past key/values, use_cache_branch)`,
      );
    }
  }
}

export async function runProbes(session: ort.InferenceSession, prepared: ProbedModel, request: ProbeRequest): Promise<ProbeResults> {
  const { layout, model } = prepared;
  const rows = request.rows;
  const batch = rows.length;
  const T = rows[0].length;
  if (rows.some((row) => row.length !== T)) throw new SinkLensError('usage', 'ragged-batch', 'prompts run together must have the same number of tokens');
  const layerCount = layout.layers.length;
  const flatIds = rows.flat();
  const idsType = model.graph.inputs.find((input) => input.name === layout.idsInput)?.elemType === 6 ? 'int32' : 'int64';
  // Without ablation, a [B, L, 1] mask of ones broadcasts over any head count.
  const mask = request.headMask;
  const maskHeads = mask ? mask[0][0].length : 1;
  const maskData = mask ? Float32Array.from(mask.flat(2)) : new Float32Array(batch * layerCount).fill(1);
  const feeds: Record<string, ort.Tensor> = {
    [layout.idsInput]:
      idsType === 'int32'
        ? new ort.Tensor('int32', Int32Array.from(flatIds), [batch, T])
        : new ort.Tensor('int64', BigInt64Array.from(flatIds, BigInt), [batch, T]),
    [PROBE_INPUTS.prefixLength]: new ort.Tensor('int64', BigInt64Array.of(BigInt(request.prefixLength ?? 1)), [1]),
    [PROBE_INPUTS.mapLayer]: new ort.Tensor('int64', BigInt64Array.of(BigInt(request.mapLayer ?? -1)), [1]),
    [PROBE_INPUTS.headMask]: new ort.Tensor('float32', maskData, [batch, layerCount, maskHeads]),
  };
  for (const input of model.graph.inputs) {
    if (feeds[input.name] || model.graph.initializers.has(input.name)) continue;
    const feed = extraFeed(input, T, batch);
    if (feed) feeds[input.name] = feed;
  }

  const depthCount = layout.residuals.length;
  const depthNames = (name: (i: number) => string) => Array.from({ length: depthCount }, (_, i) => name(i));
  const layerNames = (name: (l: number) => string) => Array.from({ length: layerCount }, (_, l) => name(l));
  const hasMlp = (l: number) => layout.layers[l].mlpActivation !== null;
  const mlpNames = (name: (l: number) => string) => layerNames(name).filter((_, l) => hasMlp(l));
  const fetches = [
    ...depthNames(probeOutputs.norm),
    ...depthNames(probeOutputs.hidden),
    ...depthNames(probeOutputs.p0Cosine),
    ...depthNames(probeOutputs.layerMedian),
    ...layerNames(probeOutputs.firstTokenAttention),
    ...layerNames(probeOutputs.received),
    ...mlpNames(probeOutputs.mlpNorm),
    ...mlpNames(probeOutputs.mlpHidden),
    probeOutputs.attentionMap,
    ...(request.extraOutputs ?? []),
  ];
  let outputs: ort.InferenceSession.OnnxValueMapType;
  try {
    outputs = await session.run(feeds, fetches);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new SinkLensError('runtime', 'run-failed', `onnxruntime could not run the model on ${batch} x ${T} tokens: ${message}`);
  }
  const data = (name: string) => asFloat32(outputs[name]);
  /** Row r's share of a [B, …] output. */
  const row = (name: string, r: number) => {
    const all = data(name);
    const size = all.length / batch;
    return all.subarray(r * size, (r + 1) * size);
  };
  const map = outputs[probeOutputs.attentionMap];
  return {
    tokens: T,
    heads: outputs[probeOutputs.firstTokenAttention(0)].dims[1],
    hiddenSize: outputs[probeOutputs.hidden(0)].dims[2],
    rows: rows.map((_, r) => ({
      norms: depthNames(probeOutputs.norm).map((name) => row(name, r)),
      hidden: depthNames(probeOutputs.hidden).map((name) => row(name, r)),
      p0Cosine: depthNames(probeOutputs.p0Cosine).map((name) => row(name, r)),
      layerMedian: depthNames(probeOutputs.layerMedian).map((name) => data(name)[r]),
      firstTokenAttention: layerNames(probeOutputs.firstTokenAttention).map((name) => row(name, r)),
      received: layerNames(probeOutputs.received).map((name) => row(name, r)),
      mlpNorms: layerNames(probeOutputs.mlpNorm).map((name, l) => (hasMlp(l) ? row(name, r) : null)),
      mlpHidden: layerNames(probeOutputs.mlpHidden).map((name, l) => (hasMlp(l) ? row(name, r) : null)),
    })),
    attentionMap: map.dims[0] > 0 ? (map.data as Float32Array) : null,
    extra: Object.fromEntries((request.extraOutputs ?? []).map((name) => [name, data(name)])),
  };
}

/** Output data as float32; float16 outputs (a fp16 model's logits) are widened. */
function asFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type !== 'float16') return tensor.data as Float32Array;
  const halves = tensor.data as Uint16Array;
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    const magnitude = exponent === 0 ? fraction * 2 ** -24 : exponent === 31 ? (fraction ? NaN : Infinity) : (1 + fraction / 1024) * 2 ** (exponent - 15);
    out[i] = h & 0x8000 ? -magnitude : magnitude;
  }
  return out;
}
