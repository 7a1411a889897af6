/**
 * Creates onnxruntime sessions on the device the user asked for. onnxruntime-node does not fall
 * back by itself: asking for CUDA without its provider libraries throws at session creation, so
 * we catch that, record why, and create the session on the CPU.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { oneLine, SinkLensError } from '../errors';
import type { Device, ExecutionProvider } from '../../protocol/report';
import { explainSessionFailure } from './missingKernel';
import { onnxruntimeBinaryFolder } from './onnxruntimeFiles';

export interface OpenedSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProvider;
  fallbackReason: string | null;
}

export const onnxruntimeVersion: string = ort.env.versions?.node ?? 'unknown';

const CUDA_PROVIDER_LIBRARY = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

export function cudaProviderInstalled(): boolean {
  const folder = onnxruntimeBinaryFolder();
  return folder !== null && existsSync(join(folder, CUDA_PROVIDER_LIBRARY));
}

/**
 * An onnxruntime-optimized copy of the model for CPU sessions (model/openCache.ts): `load` one
 * made before, as it is (no optimizations at load: they are in it), or `save` the one this
 * session makes. onnxruntime's optimizations of a probed graph take longer than its loading.
 */
export interface OptimizedCopy {
  load?: string;
  save?: string;
}

/** 'extended': the optimizations a saved copy may hold and still load on another CPU ('all' adds layout ones for convolutions). */
const SAVED_LEVEL = 'extended';

/** onnxruntime would also print each failure to stderr itself; Sink Lens reports it, whole, in one line (SINK_LENS_DEBUG keeps its log). */
const LOG_SEVERITY = process.env.SINK_LENS_DEBUG ? 2 : 4;

/**
 * `cpuModelPath`: the model to load should the session end up on the CPU, when that differs from
 * `modelPath` (a bfloat16 model computed in float32 there); called only then.
 */
export async function createSession(modelPath: string, device: Device, cpuModelPath?: () => string, optimized: OptimizedCopy = {}): Promise<OpenedSession> {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: LOG_SEVERITY };
  let fallbackReason: string | null = null;
  if (device !== 'cpu') {
    if (!cudaProviderInstalled()) {
      fallbackReason = `the CUDA provider library (${CUDA_PROVIDER_LIBRARY}) is not installed for onnxruntime-node ${onnxruntimeVersion}`;
    } else {
      try {
        const session = await createWith(modelPath, { ...options, executionProviders: ['cuda', 'cpu'] });
        return { session, executionProvider: 'cuda', fallbackReason: null };
      } catch (error) {
        fallbackReason = `CUDA could not start: ${oneLine(error instanceof Error ? error.message : String(error))}`;
      }
    }
  }
  const session = await createOnCpu(cpuModelPath?.() ?? modelPath, optimized);
  return { session, executionProvider: 'cpu', fallbackReason };
}

async function createOnCpu(modelPath: string, optimized: OptimizedCopy): Promise<ort.InferenceSession> {
  const cpu = { executionProviders: ['cpu'], logSeverityLevel: LOG_SEVERITY } as const;
  if (optimized.load) return createWith(optimized.load, { ...cpu, graphOptimizationLevel: 'disabled' });
  if (!optimized.save) return createWith(modelPath, { ...cpu, graphOptimizationLevel: 'all' });
  // Written under a temporary name and renamed once the session exists: never half a model.
  const temporary = `${optimized.save}.${process.pid}.tmp`;
  const session = await createWith(modelPath, { ...cpu, graphOptimizationLevel: SAVED_LEVEL, optimizedModelFilePath: temporary });
  try {
    renameSync(temporary, optimized.save);
  } catch {
    rmSync(temporary, { force: true }); // the next open optimizes again
  }
  return session;
}

async function createWith(modelPath: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelPath, options);
  } catch (error) {
    const reason = oneLine(error instanceof Error ? error.message : String(error));
    const provider = String(options.executionProviders?.[0] ?? 'cpu');
    const explained = explainSessionFailure(reason, modelPath, provider, onnxruntimeVersion);
    if (explained) throw explained;
    throw new SinkLensError(
      'model',
      'session-failed',
      `onnxruntime cannot load this model (${reason}); check that the export is complete and uses operators onnxruntime ${onnxruntimeVersion} supports`,
    );
  }
}
