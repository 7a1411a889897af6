/**
 * What a trace's cache knows a checkpoint by: its content, never its path, inode or host. The
 * shards of a trace run on several machines that mount one shared volume (where device numbers
 * differ, and a folder may be mounted elsewhere), and the final assembly must find what each shard
 * measured; a checkpoint whose files changed must not.
 *
 * The identity is the sha256 of the content hash of every file the checkpoint is made of: the .onnx
 * file and its external data, or config.json and the safetensors weights; and the tokenizer and
 * config files beside it, which decide the token ids. A hub-cache blob is named by its content
 * hash already (huggingface_hub names an LFS file's blob by its sha256, a small file's by its git
 * blob sha1), so a hub revision is identified without reading its weights. Any other file is hashed once: the
 * digest is remembered in the cache (`files/`) with the file's size and modification time, so
 * that a rerun or the final assembly of a 150-checkpoint trace does not read every weight again.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readCheckpointFolder } from '../hf/checkpointFolder';
import { downloadCommand } from '../hf/hubCache';
import { writeFileAtomically } from '../model/cacheFiles';
import { resolveModelSource } from '../model/modelFiles';
import { FileSource } from '../onnx/byteSource';
import { externalDataLocations, parseModel } from '../onnx/proto';
import type { Checkpoint } from '../../protocol/trace';
import { modelPathOf } from './checkpoints';

/** sha256 (hex) over the content hashes of the checkpoint's files; `cacheFolder` keeps the digests of files hashed before. */
export async function checkpointIdentity(checkpoint: Checkpoint, cacheFolder: string): Promise<string> {
  const files = checkpointFiles(checkpoint);
  const hash = createHash('sha256');
  for (const [role, path] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hash.update(`${role}\t${await contentHash(path, join(cacheFolder, 'files'))}\n`);
  }
  return hash.digest('hex');
}

/** The files that make the checkpoint, by the role each plays (its name in the model's folder). */
function checkpointFiles(checkpoint: Checkpoint): Map<string, string> {
  const source = resolveModelSource(modelPathOf(checkpoint), checkpoint.tokenizer);
  const files = new Map<string, string>();
  if (source.onnx === null) {
    const fetchHint = source.hub ? `fetch it again: ${downloadCommand(source.hub)}` : 'save or download the checkpoint again';
    for (const shard of readCheckpointFolder(source.folder, fetchHint).shards) files.set(`weights ${shard.name}`, shard.target);
  } else {
    files.set(`onnx ${basename(source.onnx)}`, source.onnx);
    for (const location of externalData(source.onnx)) files.set(`data ${location}`, join(dirname(source.onnx), location));
  }
  const companions = { config: source.config, tokenizer: source.tokenizer, tokenizerConfig: source.tokenizerConfig, genaiConfig: source.genaiConfig, generationConfig: source.generationConfig };
  for (const [role, path] of Object.entries(companions)) if (path) files.set(role, path);
  return files;
}

/** The external data files an ONNX graph names; none when it cannot be read (measuring it then says why). */
function externalData(onnx: string): string[] {
  let source: FileSource | null = null;
  try {
    source = new FileSource(onnx);
    return [...externalDataLocations(parseModel(source).graph)].sort();
  } catch {
    return [];
  } finally {
    source?.close();
  }
}

const HUB_BLOB = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

interface Remembered {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

async function contentHash(path: string, memoFolder: string): Promise<string> {
  const real = realpathSync(path);
  const blobs = dirname(real);
  if (HUB_BLOB.test(basename(real)) && basename(blobs) === 'blobs' && basename(dirname(blobs)).startsWith('models--')) {
    return basename(real).length === 64 ? `sha256 ${basename(real)}` : `git-sha1 ${basename(real)}`;
  }
  const { size, mtimeMs } = statSync(real);
  const memo = join(memoFolder, `${createHash('sha256').update(real).digest('hex').slice(0, 32)}.json`);
  const remembered = readRemembered(memo);
  if (remembered && remembered.path === real && remembered.size === size && remembered.mtimeMs === mtimeMs) return `sha256 ${remembered.sha256}`;
  const sha256 = await hashFile(real);
  try {
    writeFileAtomically(memo, JSON.stringify({ path: real, size, mtimeMs, sha256 } satisfies Remembered));
  } catch {
    // A digest that cannot be remembered is computed again next time; the measurement does not depend on it.
  }
  return `sha256 ${sha256}`;
}

function readRemembered(path: string): Remembered | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<Remembered>;
    return typeof value.path === 'string' && typeof value.size === 'number' && typeof value.mtimeMs === 'number' && /^[0-9a-f]{64}$/.test(String(value.sha256)) ? (value as Remembered) : null;
  } catch {
    return null; // absent or unreadable: hashed again
  }
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
