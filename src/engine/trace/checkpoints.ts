/**
 * Finds a training run's checkpoints: a `trace.json` manifest ({"checkpoints": [{"step", "path"}]}),
 * or sub-folders (ONNX models or safetensors checkpoints) / .onnx files with a step number in their
 * name, or a glob over such names.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SinkLensError } from '../errors';
import { INDEX_FILE, SINGLE_FILE } from '../hf/checkpointFolder';
import { readJsonIfPresent } from '../model/json';
import type { Checkpoint } from '../../protocol/trace';

const usage = (message: string) => new SinkLensError('usage', 'bad-checkpoints', message);

export function discoverCheckpoints(spec: string): Checkpoint[] {
  const absolute = resolve(spec);
  const checkpoints = spec.includes('*') ? fromGlob(absolute) : fromFolder(absolute);
  if (checkpoints.length === 0) {
    throw usage(`no checkpoints in ${spec}: expected a trace.json manifest, or sub-folders / .onnx files with a step number in their names`);
  }
  const steps = new Set<number>();
  for (const checkpoint of checkpoints) {
    if (steps.has(checkpoint.step)) throw usage(`two checkpoints claim step ${checkpoint.step} in ${spec}; name them by step or list them in trace.json`);
    steps.add(checkpoint.step);
  }
  return checkpoints.sort((a, b) => a.step - b.step);
}

function fromFolder(folder: string): Checkpoint[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw usage(`${folder} is not a folder of checkpoints`);
  const manifest = readJsonIfPresent(join(folder, 'trace.json')) as { tokenizer?: unknown; checkpoints?: { step?: unknown; path?: unknown }[] } | null;
  if (manifest?.checkpoints) {
    const tokenizer = typeof manifest.tokenizer === 'string' ? resolve(folder, manifest.tokenizer) : undefined;
    return manifest.checkpoints.map((entry, i) => {
      if (typeof entry.step !== 'number' || typeof entry.path !== 'string') throw usage(`trace.json entry ${i} needs a numeric "step" and a "path"`);
      return { step: entry.step, path: resolve(folder, entry.path), ...(tokenizer ? { tokenizer } : {}) };
    });
  }
  return readdirSync(folder).flatMap((name) => candidate(join(folder, name)));
}

function fromGlob(pattern: string): Checkpoint[] {
  const folder = dirname(pattern);
  if (folder.includes('*')) throw usage('only the last part of a checkpoint glob may contain *');
  const expression = new RegExp(`^${basename(pattern).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  if (!existsSync(folder)) throw usage(`${folder} does not exist`);
  return readdirSync(folder)
    .filter((name) => expression.test(name))
    .flatMap((name) => candidate(join(folder, name)));
}

/** A folder holding an .onnx model or a safetensors checkpoint, or an .onnx file, whose name carries a step number (the last number in it). */
function candidate(path: string): Checkpoint[] {
  const numbers = basename(path).match(/\d+/g);
  if (!numbers) return [];
  const step = Number(numbers[numbers.length - 1]);
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path);
    const model = names.some((name) => name.endsWith('.onnx')) || (names.includes('config.json') && (names.includes(SINGLE_FILE) || names.includes(INDEX_FILE)));
    return model ? [{ step, path }] : [];
  }
  return path.endsWith('.onnx') ? [{ step, path }] : [];
}
