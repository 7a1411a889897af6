/**
 * Models in the local Hugging Face hub cache, by id: `org/name` or `org/name@revision`. The cache
 * is where huggingface_hub puts it (HF_HUB_CACHE, else HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub); a model is
 * `models--org--name/` with `refs/<branch or tag>` holding a commit, `snapshots/<commit>/` whose
 * files are symlinks into `blobs/`. Nothing is ever downloaded or written here: a model that is
 * not in the cache is an error that names where we looked and the command that fetches it.
 * No onnxruntime here: the extension host lists the cache through this module.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SinkLensError } from '../errors';
import { isSupportedModelType, SUPPORTED_MODEL_TYPES } from './architectures';
import { INDEX_FILE, SINGLE_FILE } from './checkpointFolder';

export interface HubModelId {
  repoId: string;
  /** A branch, tag or commit; null means `main`. */
  revision: string | null;
}

export interface HubSnapshot extends HubModelId {
  /** The commit the revision points at, and its snapshot folder. */
  commit: string;
  folder: string;
}

/** A repository name as the hub allows it: `name` or `org/name`, then an optional `@revision`. */
const HUB_ID = /^([A-Za-z0-9][\w.-]*(?:\/[A-Za-z0-9][\w.-]*)?)(?:@([\w./-]+))?$/;

/** The hub id `text` spells, or null when it cannot be one (a path such as ./x, /x, a/b/c). */
export function parseHubId(text: string): HubModelId | null {
  const match = HUB_ID.exec(text.trim());
  if (!match || match[1].includes('..') || match[1].endsWith('.onnx')) return null;
  return { repoId: match[1], revision: match[2] ?? null };
}

export function hubCacheFolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE; // huggingface_hub's older name
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

export function downloadCommand(id: HubModelId): string {
  return `huggingface-cli download ${id.repoId}${id.revision ? ` --revision ${id.revision}` : ''}`;
}

const repoFolderName = (repoId: string) => `models--${repoId.replace('/', '--')}`;

/** The snapshot folder of a hub id in the local cache; a clear error when it is not there. */
export function resolveHubSnapshot(id: HubModelId, env: NodeJS.ProcessEnv = process.env): HubSnapshot {
  const repoFolder = hubRepoFolder(id, env);
  const revision = id.revision ?? 'main';
  const commit = commitOf(repoFolder, revision);
  const folder = commit && join(repoFolder, 'snapshots', commit);
  if (!commit || !existsSync(folder!)) {
    const known = knownRevisions(repoFolder);
    throw new SinkLensError(
      'model',
      'revision-not-found',
      `revision '${revision}' of ${id.repoId} is not in the local Hugging Face cache (${repoFolder} has ${known.length ? known.join(', ') : 'no snapshots'}); fetch it with: ${downloadCommand({ ...id, revision })}`,
    );
  }
  return { ...id, commit, folder: folder! };
}

/** The model's folder in the cache (`models--org--name`); a clear error when it is not there. */
export function hubRepoFolder(id: HubModelId, env: NodeJS.ProcessEnv = process.env): string {
  const repoFolder = join(hubCacheFolder(env), repoFolderName(id.repoId));
  if (!existsSync(repoFolder)) {
    const label = `${id.repoId}${id.revision ? `@${id.revision}` : ''}`;
    throw new SinkLensError(
      'model',
      'model-not-found',
      `model not found: ${label} is not a file or folder here, nor in the local Hugging Face cache (looked for ${repoFolder}; set HF_HUB_CACHE or HF_HOME if your cache is elsewhere); fetch it with: ${downloadCommand(id)}`,
    );
  }
  return repoFolder;
}

/** A named revision of a model in the cache: `refs/<name>` and the snapshot it points at. */
export interface HubRevision {
  name: string;
  commit: string;
  folder: string;
  /** Whether the snapshot holds a checkpoint (config.json and model.safetensors or its index): not so after a partial download. */
  hasCheckpoint: boolean;
}

/** Every ref of the model (main, tags, branches such as Pythia's step1000), by name. */
export function listHubRevisions(repoFolder: string): HubRevision[] {
  return [...refsOf(repoFolder)]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, commit]) => {
      const folder = join(repoFolder, 'snapshots', commit);
      return { name, commit, folder, hasCheckpoint: checkpointModelType(folder) !== undefined };
    });
}

/** Names of the models in the cache (`org/name`), from their `models--org--name` folders. */
export function listHubModels(env: NodeJS.ProcessEnv = process.env): { repoId: string; folder: string }[] {
  const cache = hubCacheFolder(env);
  try {
    return readdirSync(cache)
      .filter((name) => name.startsWith('models--'))
      .sort()
      .map((name) => ({ repoId: name.slice('models--'.length).replace('--', '/'), folder: join(cache, name) }));
  } catch {
    return [];
  }
}

/** A ref name (refs/main, refs/pr/1), a full commit, or a unique commit prefix of 7+ characters. */
function commitOf(repoFolder: string, revision: string): string | null {
  const ref = join(repoFolder, 'refs', revision);
  if (!revision.includes('..') && existsSync(ref) && statSync(ref).isFile()) return readFileSync(ref, 'utf8').trim();
  if (!/^[0-9a-f]{7,40}$/.test(revision)) return null;
  const matches = snapshotCommits(repoFolder).filter((commit) => commit.startsWith(revision));
  return matches.length === 1 ? matches[0] : null;
}

function snapshotCommits(repoFolder: string): string[] {
  try {
    return readdirSync(join(repoFolder, 'snapshots'));
  } catch {
    return [];
  }
}

/** `refs` files (relative names, nested for refs/pr/N) → the commit each names. */
function refsOf(repoFolder: string): Map<string, string> {
  const refs = new Map<string, string>();
  const visit = (folder: string, prefix: string) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) visit(join(folder, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile()) refs.set(`${prefix}${entry.name}`, readFileSync(join(folder, entry.name), 'utf8').trim());
    }
  };
  visit(join(repoFolder, 'refs'), '');
  return refs;
}

function knownRevisions(repoFolder: string): string[] {
  const refs = [...refsOf(repoFolder)].map(([name, commit]) => `${name} → ${commit.slice(0, 7)}`);
  const named = new Set(refsOf(repoFolder).values());
  return [
    ...refs,
    ...snapshotCommits(repoFolder)
      .filter((commit) => !named.has(commit))
      .map((commit) => commit.slice(0, 7)),
  ];
}

/** One checkpoint snapshot in the cache, for a model picker. */
export interface HubCheckpoint {
  repoId: string;
  /** The ref that names this snapshot (main, a tag), or null for a snapshot no ref points at. */
  revision: string | null;
  commit: string;
  folder: string;
  /** What to pass as the model path (`--model`, sinkLens.modelPath): `org/name` or `org/name@revision`. */
  modelPath: string;
  modelType: string | null;
  /** Whether Sink Lens builds this model type; if not, why, in one line for a picker to show. */
  supported: boolean;
  reason: string | null;
}

/** Snapshots in the cache that hold a checkpoint: config.json plus model.safetensors or its index. */
export function listHubCheckpoints(env: NodeJS.ProcessEnv = process.env): HubCheckpoint[] {
  const found: HubCheckpoint[] = [];
  for (const { repoId, folder: repoFolder } of listHubModels(env)) {
    const refs = refsOf(repoFolder);
    const byCommit = new Map<string, string>();
    for (const [name, commit] of refs) if (!byCommit.has(commit) || name === 'main') byCommit.set(commit, name);
    for (const commit of snapshotCommits(repoFolder)) {
      const folder = join(repoFolder, 'snapshots', commit);
      const modelType = checkpointModelType(folder);
      if (modelType === undefined) continue;
      const revision = byCommit.get(commit) ?? null;
      const modelPath = revision === 'main' ? repoId : `${repoId}@${revision ?? commit}`;
      const supported = isSupportedModelType(modelType);
      const reason = supported ? null : `model_type ${modelType === null ? '(none)' : `'${modelType}'`} is not one Sink Lens builds (${SUPPORTED_MODEL_TYPES.join(', ')})`;
      found.push({ repoId, revision, commit, folder, modelPath, modelType, supported, reason });
    }
  }
  return found;
}

/**
 * Whether a model path names something Sink Lens can try to open: an existing file or folder, or a
 * hub id whose revision is in the local cache. For front ends that check before they run.
 */
export function modelPathExists(modelPath: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(modelPath)) return true;
  const id = parseHubId(modelPath);
  if (!id) return false;
  try {
    resolveHubSnapshot(id, env);
    return true;
  } catch {
    return false;
  }
}

/** config.json's model_type (null when it has none) for a checkpoint folder; undefined when it is not one. */
function checkpointModelType(folder: string): string | null | undefined {
  if (!existsSync(join(folder, SINGLE_FILE)) && !existsSync(join(folder, INDEX_FILE))) return undefined;
  try {
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { model_type?: unknown };
    return typeof config.model_type === 'string' ? config.model_type : null;
  } catch {
    return undefined; // no readable config: not a checkpoint Sink Lens could open
  }
}
