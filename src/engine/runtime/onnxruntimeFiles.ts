/**
 * Where onnxruntime-node's files are, found without loading onnxruntime: the extension host (which
 * must never load the native binding) uses this for "Install CUDA Provider".
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding onnxruntime-node's native binding for this platform. */
export function onnxruntimeBinaryFolder(): string | null {
  const root = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin');
  if (!existsSync(root)) return null;
  for (const napi of readdirSync(root)) {
    const folder = join(root, napi, process.platform, process.arch);
    if (existsSync(folder)) return folder;
  }
  return null;
}

/** The installed onnxruntime-node's version, from its package.json. */
export function installedOnnxruntimeVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
