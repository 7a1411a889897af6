/**
 * Creates onnxruntime sessions on the device the user asked for. onnxruntime-node does not fall
 * back by itself: asking for CUDA without its provider libraries throws at session creation, so
 * we catch that, record why, and create the session on the CPU.
 */
import { existsSync } from 'node:fs';
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
 * `cpuModelPath`: the model to load should the session end up on the CPU, when that differs from
 * `modelPath` (a bfloat16 model computed in float32 there); called only then.
 */
export async function createSession(modelPath: string, device: Device, cpuModelPath?: () => string): Promise<OpenedSession> {
  // onnxruntime would also print each failure to stderr itself; Sink Lens reports it, whole, in one line (SINK_LENS_DEBUG keeps its log).
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: process.env.SINK_LENS_DEBUG ? 2 : 4 };
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
  const session = await createWith(cpuModelPath?.() ?? modelPath, { ...options, executionProviders: ['cpu'] });
  return { session, executionProvider: 'cpu', fallbackReason };
}

async function createWith(modelPath: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelPath, options);
  } catch (error) {
    const reason = oneLine(error instanceof Error ? error.message : String(error));
    const provider = String(options.executionProviders?.[0] ?? 'cpu');
    const explained = explainSessionFailure(reason, modelPath, provider, onnxruntimeVersion);
    if (explained) throw explained;
    throw new SinkLensError('model', 'session-failed', `onnxruntime cannot load this model (${reason}); check that the export is complete and uses operators onnxruntime ${onnxruntimeVersion} supports`);
  }
}
