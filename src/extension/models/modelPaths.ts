/**
 * Where the model to analyse is: the configured path (with `~/`), else the bundled demo model; and
 * the short name lists and titles show. Kept apart from the engine's own lookup so that onnxruntime
 * never loads in the extension host.
 */
import { join } from 'node:path';
import { modelPathExists } from '../../engine/hf/hubCache';
import { readSettings, type SinkLensSettings } from '../settings/settings';

/** The bundled demo model. */
export function bundledModelPath(extensionPath: string): string {
  return join(extensionPath, 'models', 'sinklet');
}

export function resolveModelPath(settings: SinkLensSettings, extensionPath: string): string {
  const configured = settings.modelPath;
  if (!configured) return bundledModelPath(extensionPath);
  if (configured.startsWith('~/')) return join(process.env.HOME ?? '', configured.slice(2));
  return configured;
}

/** A file or folder on disk, or a Hugging Face hub id (`org/name[@revision]`) present in the local hub cache. */
export function modelExists(modelPath: string): boolean {
  return modelPathExists(modelPath);
}

/** A short display name: the folder of a model.onnx, or the file name. */
export function modelDisplayName(modelPath: string): string {
  const parts = modelPath.split(/[\\/]/).filter(Boolean);
  const last = parts.at(-1) ?? modelPath;
  if (/\.onnx$/i.test(last) && parts.length > 1 && /^(model|decoder)\.onnx$/i.test(last)) return parts.at(-2)!;
  return last;
}

/** The model the settings name now, for the extension installed at extensionPath. */
export function configuredModelPath(extensionPath: string): string {
  return resolveModelPath(readSettings(), extensionPath);
}
