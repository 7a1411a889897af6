/** One forward pass of the probed model, and its outputs unpacked per depth and per layer. */
import * as ort from 'onnxruntime-node';
import { oneLine, RunFailedError, SinkLensError } from './errors';
import { PROBE_INPUTS, probeOutputs } from './graph/probes';
import { checkIdsFit, FeedPlan, planFeeds } from './inputFeeds';
import type { ProbedModel } from './model/preparedModel';

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
  /** The depth of each residual state probed (0, 0.5, 1, …; a parallel block has no l + 0.5): the rows' `norms`, `hidden` and `p0Cosine` follow it. */
  depths: number[];
  heads: number;
  hiddenSize: number;
  rows: RowProbes[];
  /** [head][q][k] of the requested layer, row 0. */
  attentionMap: Float32Array | null;
  extra: Record<string, Float32Array>;
}

const plans = new WeakMap<ProbedModel, FeedPlan>();

/** How every input besides the ids is fed (inputFeeds.ts), planned once per prepared model. */
export function feedPlan(prepared: ProbedModel): FeedPlan {
  let plan = plans.get(prepared);
  if (!plan) {
    plan = planFeeds(prepared.model.graph, prepared.layout.idsInput, prepared.feeds);
    plans.set(prepared, plan);
  }
  return plan;
}

/** Refuses, naming it, an input Sink Lens cannot feed. */
export function checkInputsSupported(prepared: ProbedModel): void {
  feedPlan(prepared);
}

/** A graph that fixes its batch size runs the rows in groups of that size (the last group padded with copies of its first row). */
export async function runProbes(session: ort.InferenceSession, prepared: ProbedModel, request: ProbeRequest): Promise<ProbeResults> {
  const groupSize = feedPlan(prepared).fixedBatch;
  if (groupSize === null || request.rows.length === groupSize) return runBatch(session, prepared, request);
  const rows: RowProbes[] = [];
  let first: ProbeResults | null = null;
  for (let start = 0; start < request.rows.length; start += groupSize) {
    const group = request.rows.slice(start, start + groupSize);
    const headMask = request.headMask?.slice(start, start + groupSize);
    const count = group.length;
    while (group.length < groupSize) {
      group.push(group[0]);
      headMask?.push(headMask[0]);
    }
    const results = await runBatch(session, prepared, { ...request, rows: group, headMask });
    first ??= results;
    rows.push(...results.rows.slice(0, count));
  }
  // The attention map and extra outputs are row 0's, from the first group.
  return { ...first!, rows };
}

async function runBatch(session: ort.InferenceSession, prepared: ProbedModel, request: ProbeRequest): Promise<ProbeResults> {
  const { layout, model } = prepared;
  const rows = request.rows;
  const batch = rows.length;
  const T = rows[0].length;
  if (rows.some((row) => row.length !== T)) throw new SinkLensError('usage', 'ragged-batch', 'prompts run together must have the same number of tokens');
  const plan = feedPlan(prepared);
  checkIdsFit(plan, layout.idsInput, T);
  const layerCount = layout.layers.length;
  const flatIds = rows.flat();
  const idsType = model.graph.inputs.find((input) => input.name === layout.idsInput)?.elemType === 6 ? 'int32' : 'int64';
  // Without ablation, a [B, L, 1] mask of ones broadcasts over any head count.
  const mask = request.headMask;
  const maskHeads = mask ? mask[0][0].length : 1;
  const maskData = mask ? Float32Array.from(mask.flat(2)) : new Float32Array(batch * layerCount).fill(1);
  const feeds: Record<string, ort.Tensor> = {
    [layout.idsInput]: idsType === 'int32' ? new ort.Tensor('int32', Int32Array.from(flatIds), [batch, T]) : new ort.Tensor('int64', BigInt64Array.from(flatIds, BigInt), [batch, T]),
    [PROBE_INPUTS.prefixLength]: new ort.Tensor('int64', BigInt64Array.of(BigInt(request.prefixLength ?? 1)), [1]),
    [PROBE_INPUTS.mapLayer]: new ort.Tensor('int64', BigInt64Array.of(BigInt(request.mapLayer ?? -1)), [1]),
    [PROBE_INPUTS.headMask]: new ort.Tensor('float32', maskData, [batch, layerCount, maskHeads]),
  };
  for (const { input, make } of plan.feeds) feeds[input.name] = make(T, batch);

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
    // onnxruntime's messages run over several lines ("… for the following indices\n index: 1 Got: 14 Expected: 8"): keep all of it, on one line.
    const message = oneLine(error instanceof Error ? error.message : String(error));
    throw new RunFailedError(message, `${batch} x ${T} tokens`);
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
    depths: [...layout.depths],
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

/** Output data as float32; float16 outputs (a fp16 model's logits) are widened: onnxruntime hands them as a Float16Array where the runtime has one (Node 24), else as their bits in a Uint16Array. */
function asFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type !== 'float16') return tensor.data as Float32Array;
  if (!(tensor.data instanceof Uint16Array)) return Float32Array.from(tensor.data as ArrayLike<number>);
  const halves = tensor.data;
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
