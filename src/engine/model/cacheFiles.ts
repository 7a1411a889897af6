/**
 * Files Sink Lens writes into its cache folder (never into the user's model folder): weight files
 * placed beside a generated model.onnx, where onnxruntime resolves external data (it refuses
 * symlinks and paths that leave the model's folder), and the errors a full or read-only cache gives.
 */
import { copyFileSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SinkLensError } from '../errors';

export function defaultCacheFolder(): string {
  return process.env.SINK_LENS_CACHE ?? join(tmpdir(), 'sink-lens-cache');
}

/** Hard-links `from` at `to`; copies where a link is impossible (another filesystem). Returns whether it copied. */
export function linkOrCopy(from: string, to: string): boolean {
  rmSync(to, { force: true });
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
    return false;
  } catch {
    copyFileSync(from, to); // another filesystem, or links not allowed
    return true;
  }
}

/** A write into the cache failed: the errors a user can fix get one line that says how. */
export function cacheWriteError(error: unknown, what: string, folder: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM' || code === 'ENOSPC') {
    return new SinkLensError('model', 'cannot-write-probed-model', `cannot write ${what} to ${folder} (${code}); free some space or set SINK_LENS_CACHE to a writable folder`);
  }
  return error;
}
