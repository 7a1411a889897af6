/**
 * Opens a model for analysis: its probed copy in an onnxruntime session on the device asked for.
 * The graph shows the head count and the embedding its width in most models; where it does not, a
 * short check run counts them (otherwise the first run is the user's, and so is any error's shape).
 * On the CPU, what opening learns is cached across processes (model/openCache.ts), so that opening
 * the same model again costs about what loading the plain model does: no parse, no probe
 * building, no graph optimization, no check run.
 */
import { existsSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import type { Device, ExecutionProvider } from '../../protocol/report';
import { RunFailedError } from '../errors';
import { externalDataLocations } from '../onnx/proto';
import { partialPositionsWarnings } from '../partialPositions';
import { checkInputsSupported, feedPlan, runProbes } from '../probeRun';
import { createSession, cudaProviderInstalled, onnxruntimeVersion } from '../runtime/sessionFactory';
import { optimizedPathFor, openCacheKey, readCachedOpen, OpenFindings, writeCachedOpen } from './openCache';
import { defaultCacheFolder, prepareModel, PreparedModel, ProbedModel } from './preparedModel';

export interface OpenedModel {
  probed: ProbedModel;
  session: ort.InferenceSession;
  executionProvider: ExecutionProvider;
  fallbackReason: string | null;
  findings: OpenFindings;
  /** Whether it was opened from the cache (nothing parsed, no check run). */
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
    return { probed: cached.probed, ...opened, findings: cached.findings, fromCache: true };
  }

  const ownCompute = prepareModel(onnxPath, { bfloat16InFloat32: surelyCpu });
  checkInputsSupported(ownCompute);
  let onCpu = ownCompute;
  const cpuModelPath = ownCompute.computesInBfloat16 && !ownCompute.bfloat16InFloat32 ? () => (onCpu = prepareModel(onnxPath, { bfloat16InFloat32: true })).probedPath : undefined;
  const save = key && optimizable(ownCompute) ? optimizedPathFor(ownCompute.probedPath, key) : undefined;
  const opened = await createSession(ownCompute.probedPath, device, cpuModelPath, { save });
  const prepared = opened.executionProvider === 'cpu' ? onCpu : ownCompute;
  let findings: OpenFindings;
  try {
    findings = await findingsOf(opened.session, prepared);
  } catch (error) {
    await opened.session.release();
    throw error;
  }
  if (key && opened.executionProvider === 'cpu') writeCachedOpen(cacheFolder, key, prepared, save && existsSync(save) ? save : null, findings);
  return { probed: prepared, ...opened, findings, fromCache: false };
}

async function findingsOf(session: ort.InferenceSession, prepared: PreparedModel): Promise<OpenFindings> {
  const { heads } = prepared.layout;
  const width = prepared.layout.embeddingTable?.dims[1];
  const warnings = partialPositionsWarnings(prepared.layout);
  if (heads !== null && width !== undefined) return { heads, hiddenSize: width, warnings };
  try {
    const counted = await runProbes(session, prepared, { rows: [new Array<number>(feedPlan(prepared).fixedLength ?? 2).fill(0)] });
    return { heads: heads ?? counted.heads, hiddenSize: width ?? counted.hiddenSize, warnings };
  } catch (error) {
    throw error instanceof RunFailedError ? new RunFailedError(error.detail, 'a check run of token id 0 that counts its attention heads') : error;
  }
}

/** Whether onnxruntime can write the optimized copy inline (no external data, well under 2 GB). */
function optimizable(prepared: PreparedModel): boolean {
  return externalDataLocations(prepared.model.graph).size === 0 && prepared.model.source.length < OPTIMIZED_COPY_LIMIT;
}
