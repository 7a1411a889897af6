/**
 * A checkpoint folder → the ONNX graph built for it, in the cache folder, with the weight files
 * beside it. onnxruntime resolves external data relative to the model and refuses symlinks that
 * leave its folder (a hub snapshot's files are such symlinks), so each shard is hard-linked there
 * (to the blob, for a hub snapshot). Where a hard link is impossible (the cache is on another
 * filesystem) the shard is copied and every report says so, with the size: we judged a one-time
 * copy the user is told about more useful than a refusal. Nothing is written into the checkpoint
 * folder or the hub cache.
 *
 * The cache key is the built graph's bytes (config, headers, and this builder's code all show in
 * them) plus each weight file's identity (device, inode, size, mtime), which the graph's metadata
 * records; so a second open only reads headers, and another checkpoint with the same shapes (a
 * later training step) never reuses these links.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheWriteError, defaultCacheFolder, linkOrCopy } from '../model/cacheFiles';
import type { ReportWarning } from '../../protocol/report';
import { decoderSpecFor } from './architectures';
import { slidingWindowLayers } from './architectures/decoderSpec';
import { CheckpointFolder, readCheckpointFolder } from './checkpointFolder';
import { buildDecoderGraph } from './graphBuilder';
import { downloadCommand, HubSnapshot } from './hubCache';

export interface BuiltCheckpoint {
  /** The checkpoint folder (a hub snapshot, or the folder the user named). */
  folder: string;
  hub: Pick<HubSnapshot, 'repoId' | 'revision' | 'commit'> | null;
  /** The built model.onnx, in the cache folder that holds it with the weight files. */
  onnx: string;
  weightFiles: string[];
  slidingWindowLayers: number[];
  /** What every report of this model must say (weights copied rather than linked). */
  warnings: ReportWarning[];
}

const GB = 2 ** 30;

export function buildCheckpoint(folder: string, hub: HubSnapshot | null, cacheRoot = defaultCacheFolder()): BuiltCheckpoint {
  const fetchHint = hub ? `fetch it again: ${downloadCommand(hub)}` : 'save or download the checkpoint again';
  const checkpoint = readCheckpointFolder(folder, fetchHint);
  const { spec, weights } = decoderSpecFor(checkpoint);
  const weightsIdentity = fileIdentity(checkpoint);
  const graph = buildDecoderGraph(spec, weights, {
    source: 'sink-lens: built from a Hugging Face checkpoint (src/engine/hf)',
    checkpoint: hub ? `${hub.repoId}@${hub.commit}` : folder,
    weights_identity: weightsIdentity,
    model_type: spec.modelType,
  });
  const target = join(cacheRoot, 'hf', createHash('sha256').update(graph).digest('hex').slice(0, 24));
  const complete = [...checkpoint.shards.map((shard) => shard.name), 'model.onnx'].every((name) => existsSync(join(target, name)));
  if (!complete) writeBuild(target, checkpoint, graph);
  const copied = checkpoint.shards.filter((shard) => statSync(join(target, shard.name)).ino !== statSync(shard.target).ino);
  const copiedBytes = copied.reduce((sum, shard) => sum + shard.header.fileSize, 0);
  return {
    folder,
    hub: hub && { repoId: hub.repoId, revision: hub.revision, commit: hub.commit },
    onnx: join(target, 'model.onnx'),
    weightFiles: checkpoint.shards.map((shard) => shard.name),
    slidingWindowLayers: slidingWindowLayers(spec),
    warnings: copied.length === 0 ? [] : [copiedWarning(copiedBytes, target, folder)],
  };
}

/** Writes the build into a temporary folder and renames it, so a crash or a concurrent build never leaves half a model to load. */
function writeBuild(target: string, checkpoint: CheckpointFolder, graph: Uint8Array): void {
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary, { recursive: true });
    for (const shard of checkpoint.shards) linkOrCopy(shard.target, join(temporary, shard.name));
    writeFileSync(join(temporary, 'model.onnx'), graph);
    rmSync(target, { recursive: true, force: true }); // an incomplete build (a weight file removed from the cache)
    try {
      renameSync(temporary, target);
    } catch (error) {
      if (!existsSync(join(target, 'model.onnx'))) throw error;
      rmSync(temporary, { recursive: true, force: true }); // another process built the same graph first
    }
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw cacheWriteError(error, 'the graph built from the checkpoint', target);
  }
}

function fileIdentity(checkpoint: CheckpointFolder): string {
  const hash = createHash('sha256');
  for (const shard of checkpoint.shards) {
    const stat = statSync(shard.target);
    hash.update(`${shard.name}\0${stat.dev}\0${stat.ino}\0${stat.size}\0${stat.mtimeMs}\0`);
  }
  return hash.digest('hex').slice(0, 24);
}

function copiedWarning(bytes: number, cacheFolder: string, folder: string): ReportWarning {
  const size = bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return {
    code: 'weights-copied',
    message: `the checkpoint's weights (${size}) were copied into ${cacheFolder}, since it is on another filesystem than ${folder} and a hard link is impossible; the copy stays in the cache: set SINK_LENS_CACHE to a folder on the checkpoint's filesystem to avoid it`,
  };
}
