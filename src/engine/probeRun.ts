/** One forward pass of the probed model, and its outputs unpacked per depth and per layer. */
import * as ort from 'onnxruntime-node';
import { SinkLensError, UnsupportedGraphError } from './errors';
import { PROBE_INPUTS, probeOutputs } from './graph/probes';
import type { PreparedModel } from './model/preparedModel';
import type { ValueInfo } from './onnx/proto';

export interface ProbeRequest {
  ids: number[];
  /** Leading positions whose full hidden state to return at each depth (default 1, P0 only). */
  prefixLength?: number;
  /** Layer whose full attention map to return. */
  mapLayer?: number;
  /** Further graph outputs to fetch as float32 (e.g. verification outputs). */
  extraOutputs?: string[];
}

export interface ProbeResults {
  tokens: number;
  heads: number;
  hiddenSize: number;
  /** [depth][T] */
  norms: Float32Array[];
  /** [depth][prefix * hidden] */
  hidden: Float32Array[];
  /** [layer][head * T + q] */
  firstTokenAttention: Float32Array[];
  /** [layer][T] */
  mlpNorms: Float32Array[];
  /** [head][q][k] of the requested layer. */
  attentionMap: Float32Array | null;
  extra: Record<string, Float32Array>;
}

const TYPED: Record<number, { type: ort.Tensor.Type; make: (length: number) => ort.Tensor.DataType }> = {
  1: { type: 'float32', make: (n) => new Float32Array(n) },
  10: { type: 'float16', make: (n) => new Uint16Array(n) },
  6: { type: 'int32', make: (n) => new Int32Array(n) },
  7: { type: 'int64', make: (n) => new BigInt64Array(n) },
  9: { type: 'bool', make: (n) => new Uint8Array(n) },
};

/** A [1, T] integer tensor of the input's declared type. */
function integerRow(input: ValueInfo, values: (i: number) => number, length: number): ort.Tensor {
  if (input.elemType === 6) return new ort.Tensor('int32', Int32Array.from({ length }, (_, i) => values(i)), [1, length]);
  return new ort.Tensor('int64', BigInt64Array.from({ length }, (_, i) => BigInt(values(i))), [1, length]);
}

/**
 * What a fresh, unpadded prompt feeds each input that decoder exports declare besides the ids: an
 * all-ones attention mask, positions 0…T-1, empty past key/values (every symbolic dimension but the
 * batch is the past length, 0) and `use_cache_branch` false. Null for an input we do not know.
 */
function extraFeed(input: ValueInfo, length: number): ort.Tensor | null {
  const name = input.name;
  if (name === 'attention_mask') return integerRow(input, () => 1, length);
  if (name === 'position_ids') return integerRow(input, (i) => i, length);
  if (name === 'use_cache_branch') return new ort.Tensor('bool', Uint8Array.of(0), [1]);
  if (/^past|past_key_values|\.past_/.test(name)) {
    const typed = TYPED[input.elemType ?? 1];
    if (!typed || !input.shape) return null;
    const dims = input.shape.map((dim, axis) => (typeof dim === 'number' ? dim : /batch/i.test(String(dim)) || (axis === 0 && input.shape!.length === 4) ? 1 : 0));
    return new ort.Tensor(typed.type, typed.make(0), dims);
  }
  return null;
}

export function checkInputsSupported(prepared: PreparedModel): void {
  const initializers = prepared.model.graph.initializers;
  for (const input of prepared.model.graph.inputs) {
    if (input.name === prepared.layout.idsInput || initializers.has(input.name) || input.name.startsWith('sinklens_')) continue;
    if (extraFeed(input, 1) === null) {
      throw new UnsupportedGraphError(
        `input '${input.name}' is not one Sink Lens knows how to feed (expected input_ids, attention_mask, position_ids, past key/values, use_cache_branch)`,
      );
    }
  }
}

export async function runProbes(session: ort.InferenceSession, prepared: PreparedModel, request: ProbeRequest): Promise<ProbeResults> {
  const { layout, model } = prepared;
  const ids = request.ids;
  const idsType = model.graph.inputs.find((input) => input.name === layout.idsInput)?.elemType === 6 ? 'int32' : 'int64';
  const feeds: Record<string, ort.Tensor> = {
    [layout.idsInput]:
      idsType === 'int32'
        ? new ort.Tensor('int32', Int32Array.from(ids), [1, ids.length])
        : new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    [PROBE_INPUTS.prefixLength]: new ort.Tensor('int64', BigInt64Array.of(BigInt(request.prefixLength ?? 1)), [1]),
    [PROBE_INPUTS.mapLayer]: new ort.Tensor('int64', BigInt64Array.of(BigInt(request.mapLayer ?? -1)), [1]),
  };
  for (const input of model.graph.inputs) {
    if (feeds[input.name] || model.graph.initializers.has(input.name)) continue;
    const feed = extraFeed(input, ids.length);
    if (feed) feeds[input.name] = feed;
  }

  const depthCount = layout.residuals.length;
  const layerCount = layout.layers.length;
  const fetches = [
    ...Array.from({ length: depthCount }, (_, i) => probeOutputs.norm(i)),
    ...Array.from({ length: depthCount }, (_, i) => probeOutputs.hidden(i)),
    ...Array.from({ length: layerCount }, (_, l) => probeOutputs.firstTokenAttention(l)),
    ...Array.from({ length: layerCount }, (_, l) => probeOutputs.mlpNorm(l)),
    probeOutputs.attentionMap,
    ...(request.extraOutputs ?? []),
  ];
  let outputs: ort.InferenceSession.OnnxValueMapType;
  try {
    outputs = await session.run(feeds, fetches);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new SinkLensError('runtime', 'run-failed', `onnxruntime could not run the model on ${ids.length} tokens: ${message}`);
  }
  const data = (name: string) => outputs[name].data as Float32Array;
  const attention0 = outputs[probeOutputs.firstTokenAttention(0)];
  const map = outputs[probeOutputs.attentionMap];
  const hidden0 = outputs[probeOutputs.hidden(0)];
  return {
    tokens: ids.length,
    heads: attention0.dims[1],
    hiddenSize: hidden0.dims[2],
    norms: Array.from({ length: depthCount }, (_, i) => data(probeOutputs.norm(i))),
    hidden: Array.from({ length: depthCount }, (_, i) => data(probeOutputs.hidden(i))),
    firstTokenAttention: Array.from({ length: layerCount }, (_, l) => data(probeOutputs.firstTokenAttention(l))),
    mlpNorms: Array.from({ length: layerCount }, (_, l) => data(probeOutputs.mlpNorm(l))),
    attentionMap: map.dims[0] > 0 ? (map.data as Float32Array) : null,
    extra: Object.fromEntries((request.extraOutputs ?? []).map((name) => [name, data(name)])),
  };
}
