/**
 * Where a model's files are: the user may point at a folder or at an .onnx file inside one, at a
 * Hugging Face checkpoint folder (config.json + safetensors), or name a checkpoint in the local hub
 * cache by id (`org/name`, `org/name@revision`). A checkpoint's ONNX graph is built into the cache
 * (hf/builtCheckpoint.ts); from then on it is opened like any ONNX model, so everything downstream
 * works unchanged.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SinkLensError } from '../errors';
import { BuiltCheckpoint, buildCheckpoint } from '../hf/builtCheckpoint';
import { looksLikeCheckpoint } from '../hf/checkpointFolder';
import { HubSnapshot, parseHubId, resolveHubSnapshot } from '../hf/hubCache';
import { readJsonIfPresent } from './json';

/** Where a model's files are, before anything is built or loaded. */
export interface ModelSource {
  /** As the user gave it. */
  givenPath: string;
  folder: string;
  /** The .onnx file; null for a Hugging Face checkpoint (its graph is built from config.json and the weights). */
  onnx: string | null;
  /** For a model named by hub id: the snapshot it resolved to. */
  hub: HubSnapshot | null;
  tokenizer: string | null;
  tokenizerConfig: string | null;
  config: string | null;
  genaiConfig: string | null;
  generationConfig: string | null;
}

export interface ModelFiles extends Omit<ModelSource, 'onnx' | 'hub'> {
  onnx: string;
  /** For a Hugging Face checkpoint: what was built from it and where (onnx is the built graph). */
  checkpoint: BuiltCheckpoint | null;
}

const PREFERRED_ONNX = ['model.onnx', 'decoder_model.onnx', 'decoder.onnx', 'model_quantized.onnx'];

/** Whether a model path (a folder, or an .onnx file in it) names the model in `folder`; a hub id never does. */
export function isModelIn(modelPath: string, folder: string): boolean {
  const absolute = resolve(modelPath);
  return (/\.onnx$/i.test(absolute) ? dirname(absolute) : absolute) === resolve(folder);
}

/** `sharedTokenizer`: a tokenizer.json to use when the model's folder has none (checkpoints of one run). */
export function locateModelFiles(givenPath: string, sharedTokenizer?: string): ModelFiles {
  const { onnx, hub, ...files } = resolveModelSource(givenPath, sharedTokenizer);
  // A checkpoint's graph is built (or found in the cache) now.
  const checkpoint = onnx === null ? buildCheckpoint(files.folder, hub) : null;
  return { ...files, onnx: checkpoint?.onnx ?? onnx!, checkpoint };
}

/** The model's files as locateModelFiles finds them, without building a checkpoint's graph (traces key their cache on these). */
export function resolveModelSource(givenPath: string, sharedTokenizer?: string): ModelSource {
  const absolute = resolve(givenPath);
  if (!existsSync(absolute)) {
    const hubId = parseHubId(givenPath);
    if (hubId) {
      const snapshot = resolveHubSnapshot(hubId);
      return filesIn(givenPath, snapshot.folder, null, sharedTokenizer, snapshot);
    }
    throw new SinkLensError(
      'model',
      'model-not-found',
      `model not found: ${givenPath} (give a folder with model.onnx or a Hugging Face checkpoint, an .onnx file, or a hub id such as Qwen/Qwen2.5-0.5B)`,
    );
  }
  const isFolder = statSync(absolute).isDirectory();
  if (isFolder && looksLikeCheckpoint(absolute)) return filesIn(givenPath, absolute, null, sharedTokenizer, null);
  const folder = isFolder ? absolute : dirname(absolute);
  const onnx = isFolder ? findOnnxInFolder(folder) : absolute;
  if (!isFolder && !absolute.endsWith('.onnx')) {
    throw new SinkLensError('model', 'not-onnx', `${basename(absolute)} is not an .onnx file; give the model's folder or its .onnx file`);
  }
  return filesIn(givenPath, folder, onnx, sharedTokenizer, null);
}

function filesIn(givenPath: string, folder: string, onnx: string | null, sharedTokenizer: string | undefined, hub: HubSnapshot | null): ModelSource {
  const optional = (name: string) => (existsSync(join(folder, name)) ? join(folder, name) : null);
  // A checkpoint of a training run (no tokenizer of its own) takes the one its trace.json names, or
  // a Trainer checkpoint (trainer_state.json) the one in the run's output_dir above it.
  sharedTokenizer ??= optional('tokenizer.json') ? undefined : (manifestTokenizer(folder) ?? trainerRunTokenizer(folder));
  const besideShared = (name: string) => (sharedTokenizer && existsSync(join(dirname(sharedTokenizer), name)) ? join(dirname(sharedTokenizer), name) : null);
  return {
    givenPath,
    folder,
    onnx,
    hub,
    tokenizer: optional('tokenizer.json') ?? (sharedTokenizer && existsSync(sharedTokenizer) ? sharedTokenizer : null),
    tokenizerConfig: optional('tokenizer_config.json') ?? besideShared('tokenizer_config.json'),
    config: optional('config.json'),
    genaiConfig: optional('genai_config.json'),
    generationConfig: optional('generation_config.json'),
  };
}

/** The "tokenizer" of a trace.json manifest in the model's folder or the one above (a run's checkpoints). */
function manifestTokenizer(folder: string): string | undefined {
  for (const candidate of [folder, dirname(folder)]) {
    let manifest: { tokenizer?: unknown } | null = null;
    try {
      manifest = readJsonIfPresent(join(candidate, 'trace.json')) as { tokenizer?: unknown } | null;
    } catch {
      continue; // an unreadable manifest of someone else's: not this model's problem
    }
    if (typeof manifest?.tokenizer === 'string') return resolve(candidate, manifest.tokenizer);
  }
  return undefined;
}

/** The output_dir's tokenizer.json for a Trainer's `checkpoint-N/` (trainer.save_model() puts it there; a checkpoint has one only when the Trainer was given the tokenizer). */
function trainerRunTokenizer(folder: string): string | undefined {
  const runTokenizer = join(dirname(folder), 'tokenizer.json');
  return existsSync(join(folder, 'trainer_state.json')) && existsSync(runTokenizer) ? runTokenizer : undefined;
}

function findOnnxInFolder(folder: string): string {
  const genai = readJsonIfPresent(join(folder, 'genai_config.json')) as { model?: { decoder?: { filename?: string } } } | null;
  const declared = genai?.model?.decoder?.filename;
  if (declared && existsSync(join(folder, declared))) return join(folder, declared);
  for (const name of PREFERRED_ONNX) if (existsSync(join(folder, name))) return join(folder, name);
  const candidates = readdirSync(folder).filter((name) => name.endsWith('.onnx'));
  if (candidates.length === 1) return join(folder, candidates[0]);
  if (candidates.length === 0) {
    throw new SinkLensError('model', 'no-onnx', `no .onnx file in ${folder}; export the model to ONNX first (see README, "Exporting a model")`);
  }
  throw new SinkLensError('model', 'ambiguous-onnx', `several .onnx files in ${folder} (${candidates.join(', ')}); give the one to analyse`);
}
