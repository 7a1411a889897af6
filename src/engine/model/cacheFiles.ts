/**
 * Files Sink Lens writes into its cache folders (never into the user's model folder): weight files
 * placed beside a generated model.onnx, where onnxruntime resolves external data (it refuses
 * symlinks and paths that leave the model's folder), and the errors a full or read-only cache gives.
 *
 * A cache may be shared by several processes at once, on several hosts (the shards of a trace on a
 * cluster's shared volume): everything is written under a temporary name unique to its writer, in
 * the folder it ends in, and renamed into place, so a reader never meets half a file or folder and
 * two writers of the same entry never disturb each other (the last rename wins; both wrote the same).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
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

/** A name beside `target` that no other writer uses: process ids repeat across the hosts of a shared volume. */
export function temporaryPath(target: string): string {
  const host = hostname()
    .replace(/[^\w.-]+/g, '_')
    .slice(0, 40);
  return `${target}.${host}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

/** Writes a file through a temporary name in its own folder and renames it into place. */
export function writeFileAtomically(target: string, data: string | Uint8Array): void {
  mkdirSync(dirname(target), { recursive: true });
  const temporary = temporaryPath(target);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Makes the folder `target` by filling a temporary folder beside it and renaming that into place.
 * When another writer got there first with a complete folder, theirs is kept; an incomplete one
 * (a weight file deleted from the cache) is moved aside and replaced, never emptied under a reader.
 */
export function publishFolder(target: string, fill: (temporary: string) => void, isComplete: (folder: string) => boolean): void {
  const temporary = temporaryPath(target);
  try {
    mkdirSync(temporary, { recursive: true });
    fill(temporary);
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(temporary, target);
        return;
      } catch (error) {
        if (!existsSync(target)) throw error;
        if (isComplete(target)) return; // another writer published the same folder first
        if (attempt > 0) throw error;
        const stale = temporaryPath(target);
        renameSync(target, stale);
        rmSync(stale, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}
