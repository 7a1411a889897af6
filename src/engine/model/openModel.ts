/**
 * Opens a model for analysis: its probed copy in an onnxruntime session on the device asked for,
 * checked by a two-token warm-up run. On the CPU, what that learns is cached across processes
 * (model/openCache.ts), so that opening the same model again costs about what loading the plain
 * model does: no parse, no probe building, no graph optimization, no warm-up.
 */
import { existsSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { externalDataLocations } from '../onnx/proto';
import { checkInputsSupported, runProbes } from '../probeRun';
import type { Device, ExecutionProvider } from '../report';
import { createSession, cudaProviderInstalled, onnxruntimeVersion } from '../runtime/sessionFactory';
import { optimizedPathFor, openCacheKey, readCachedOpen, WarmupFindings, writeCachedOpen } from './openCache';
import { defaultCacheFolder, prepareModel, PreparedModel, ProbedModel } from './preparedModel';

export interface OpenedModel {
  probed: ProbedModel;
  session: ort.InferenceSession;
  executionProvider: ExecutionProvider;
  fallbackReason: string | null;
  warmup: WarmupFindings;
  /** Whether it was opened from the cache (nothing parsed, no warm-up run). */
  fromCache: boolean;
}

/** Above this, the optimized copy (another copy of the weights) is not kept: loading dominates anyway. */
const OPTIMIZED_COPY_LIMIT = 1 << 30;

export async function openModel(onnxPath: string, device: Device): Promise<OpenedModel> {
  const cacheFolder = defaultCacheFolder();
  // The CPU provider has no bfloat16 arithmetic: there, a model that computes in bfloat16 is
  // computed in float32 (graph/bfloat16Compute.ts). CUDA runs the model's own bfloat16.
  const surelyCpu = device === 'cpu' || !cudaProviderInstalled();
  const key = surelyCpu ? openCacheKey(onnxPath, { bfloat16InFloat32: true }, onnxruntimeVersion) : null;
  const cached = key ? readCachedOpen(cacheFolder, key) : null;
  if (cached) {
    const opened = await createSession(cached.probed.probedPath, device, undefined, { load: cached.optimizedPath ?? undefined });
    return { probed: cached.probed, ...opened, warmup: cached.warmup, fromCache: true };
  }

  const ownCompute = prepareModel(onnxPath, { bfloat16InFloat32: surelyCpu });
  checkInputsSupported(ownCompute);
  let onCpu = ownCompute;
  const cpuModelPath = ownCompute.computesInBfloat16 && !ownCompute.bfloat16InFloat32 ? () => (onCpu = prepareModel(onnxPath, { bfloat16InFloat32: true })).probedPath : undefined;
  const save = key && optimizable(ownCompute) ? optimizedPathFor(ownCompute.probedPath, key) : undefined;
  const opened = await createSession(ownCompute.probedPath, device, cpuModelPath, { save });
  const prepared = opened.executionProvider === 'cpu' ? onCpu : ownCompute;
  // A two-token pass validates the graph end to end and tells us the head count when no config does.
  let warmup: WarmupFindings;
  try {
    const results = await runProbes(opened.session, prepared, { rows: [[0, 0]] });
    warmup = { heads: results.heads, hiddenSize: results.hiddenSize };
  } catch (error) {
    await opened.session.release();
    throw error;
  }
  if (key && opened.executionProvider === 'cpu') writeCachedOpen(cacheFolder, key, prepared, save && existsSync(save) ? save : null, warmup);
  return { probed: prepared, ...opened, warmup, fromCache: false };
}

/** Whether onnxruntime can write the optimized copy inline (no external data, well under 2 GB). */
function optimizable(prepared: PreparedModel): boolean {
  return externalDataLocations(prepared.model.graph).size === 0 && prepared.model.source.length < OPTIMIZED_COPY_LIMIT;
}
