/**
 * A Hugging Face checkpoint folder: `config.json` plus the weights in `model.safetensors`, or in
 * shards listed by `model.safetensors.index.json`. Reads the config and every shard's header; each
 * tensor the index names must be in the shard it names. In a hub-cache snapshot the files are
 * symlinks into `blobs/`: they are followed for reading, and their targets recorded, because
 * onnxruntime refuses external data that a symlink places outside the model's folder.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { SinkLensError } from '../errors';
import { readSafetensorsHeader, SafetensorsHeader, StoredTensor } from './safetensors';

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';

export interface CheckpointShard {
  /** The file name in the folder (also its name beside the built graph). */
  name: string;
  /** The file itself, symlinks resolved (a hub cache blob). */
  target: string;
  header: SafetensorsHeader;
}

export interface CheckpointTensor extends StoredTensor {
  shard: string;
}

export interface CheckpointFolder {
  folder: string;
  /** config.json as written, and parsed. */
  configText: string;
  config: Record<string, unknown>;
  shards: CheckpointShard[];
  tensors: Map<string, CheckpointTensor>;
}

/**
 * Whether `folder` is a Hugging Face checkpoint rather than an ONNX model's folder: no .onnx file
 * (a folder with one is opened as before), and safetensors weights or a config.json.
 */
export function looksLikeCheckpoint(folder: string): boolean {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return false;
  }
  return !names.some((name) => name.endsWith('.onnx')) && names.some((name) => name.endsWith('.safetensors') || name === INDEX_FILE || name === 'config.json');
}

export function readCheckpointFolder(folder: string, fetchHint: string): CheckpointFolder {
  const configPath = join(folder, 'config.json');
  if (!existsSync(configPath)) {
    throw new SinkLensError('model', 'no-config', `${folder} has safetensors weights but no config.json, so the architecture is unknown; put the model's own config.json beside the weights`);
  }
  const configText = readFileSync(configPath, 'utf8');
  let config: unknown;
  try {
    config = JSON.parse(configText);
  } catch (error) {
    throw new SinkLensError('model', 'bad-json', `config.json in ${folder} is not valid JSON (${(error as Error).message}); fix or replace it`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new SinkLensError('model', 'bad-config', `config.json in ${folder} is not a JSON object; replace it with the model's own config.json`);
  }
  const { weightMap, files } = shardFiles(folder, fetchHint);
  const shards: CheckpointShard[] = [];
  const tensors = new Map<string, CheckpointTensor>();
  for (const name of files) {
    const path = join(folder, name);
    if (!existsSync(path)) {
      throw new SinkLensError('model', 'missing-shard', `${INDEX_FILE} in ${folder} names ${name}, which is not there (an incomplete download?); ${fetchHint}`);
    }
    const header = readSafetensorsHeader(path, fetchHint);
    shards.push({ name, target: realpathSync(path), header });
    for (const tensor of header.tensors.values()) {
      if (!weightMap || weightMap.get(tensor.name) === name) tensors.set(tensor.name, { ...tensor, shard: name });
    }
  }
  for (const [tensor, shard] of weightMap ?? []) {
    if (!tensors.has(tensor)) {
      throw new SinkLensError('model', 'missing-tensor', `${INDEX_FILE} in ${folder} puts '${tensor}' in ${shard}, but that file has no such tensor; ${fetchHint}`);
    }
  }
  return { folder, configText, config: config as Record<string, unknown>, shards, tensors };
}

/** The weight files, and the index's tensor → file map (null for a single model.safetensors). */
function shardFiles(folder: string, fetchHint: string): { weightMap: Map<string, string> | null; files: string[] } {
  const indexPath = join(folder, INDEX_FILE);
  if (existsSync(indexPath)) {
    let index: { weight_map?: unknown };
    try {
      index = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (error) {
      throw new SinkLensError('model', 'bad-json', `${INDEX_FILE} in ${folder} is not valid JSON (${(error as Error).message}); ${fetchHint}`);
    }
    const map = index.weight_map;
    if (typeof map !== 'object' || map === null || Object.values(map).some((file) => typeof file !== 'string' || file.includes('/') || file.includes('\\'))) {
      throw new SinkLensError('model', 'bad-index', `${INDEX_FILE} in ${folder} has no weight_map of tensor names to shard files in the same folder; ${fetchHint}`);
    }
    const weightMap = new Map(Object.entries(map as Record<string, string>));
    return { weightMap, files: [...new Set(weightMap.values())] };
  }
  if (existsSync(join(folder, SINGLE_FILE))) return { weightMap: null, files: [SINGLE_FILE] };
  const others = readdirSync(folder).filter((name) => name.endsWith('.safetensors') || name.endsWith('.bin'));
  throw new SinkLensError(
    'model',
    'no-weights',
    `${folder} has neither an .onnx model nor ${SINGLE_FILE} or ${INDEX_FILE}${others.length ? ` (it has ${others.join(', ')})` : ''}; Sink Lens opens ONNX models and safetensors checkpoints: ${fetchHint}`,
  );
}
