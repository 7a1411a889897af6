/**
 * Finds a training run's checkpoints: a `trace.json` manifest ({"checkpoints": [{"step", "path"}]}),
 * or sub-folders (ONNX models or safetensors checkpoints, such as the `checkpoint-N/` folders a
 * transformers Trainer writes) / .onnx files with a step number in their name, or a glob over such
 * names, or a hub model's `stepN` revisions in the local Hugging Face cache (hubRevisions.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SinkLensError } from '../errors';
import { INDEX_FILE, SINGLE_FILE } from '../hf/checkpointFolder';
import { parseHubId } from '../hf/hubCache';
import { readJsonIfPresent } from '../model/json';
import { discoverHubCheckpoints } from './hubRevisions';
import type { Checkpoint } from '../../protocol/trace';

const usage = (message: string) => new SinkLensError('usage', 'bad-checkpoints', message);

export interface DiscoveryOptions {
  /** For a hub model: only these revisions. */
  revisions?: string[];
  /** What was left out and why (refs that name no step, partial downloads, .bin-only checkpoints), one line each. */
  onNote?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export function discoverCheckpoints(spec: string, options: DiscoveryOptions = {}): Checkpoint[] {
  const absolute = resolve(spec);
  const hubId = !spec.includes('*') && !existsSync(absolute) ? parseHubId(spec) : null;
  if (!hubId && options.revisions)
    throw new SinkLensError('usage', 'bad-revisions', `--revisions chooses revisions of a model in the Hugging Face cache: give its id (--checkpoints org/name), not ${spec}`);
  const checkpoints = hubId ? discoverHubCheckpoints(hubId, options) : spec.includes('*') ? fromGlob(absolute, options) : fromFolder(absolute, options);
  if (checkpoints.length === 0) {
    throw usage(
      `no checkpoints in ${spec}: expected a trace.json manifest, sub-folders (checkpoint-N/ …) / .onnx files with a step number in their names, or a hub id whose stepN revisions are in the local cache`,
    );
  }
  const steps = new Set<number>();
  for (const checkpoint of checkpoints) {
    if (steps.has(checkpoint.step)) throw usage(`two checkpoints claim step ${checkpoint.step} in ${spec}; name them by step or list them in trace.json`);
    steps.add(checkpoint.step);
  }
  return checkpoints.sort((a, b) => a.step - b.step);
}

/** What the Analyzer opens for a checkpoint: a hub revision by the commit the trace found, so that a ref moved meanwhile cannot change what is measured. */
export function modelPathOf(checkpoint: Checkpoint): string {
  return checkpoint.source?.kind === 'hub' ? `${checkpoint.source.repoId}@${checkpoint.source.commit}` : checkpoint.path;
}

function fromFolder(folder: string, options: DiscoveryOptions): Checkpoint[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw usage(`${folder} is not a folder of checkpoints`);
  const manifest = readJsonIfPresent(join(folder, 'trace.json')) as { tokenizer?: unknown; checkpoints?: { step?: unknown; path?: unknown }[] } | null;
  if (manifest?.checkpoints) {
    const tokenizer = typeof manifest.tokenizer === 'string' ? resolve(folder, manifest.tokenizer) : undefined;
    return manifest.checkpoints.map((entry, i) => {
      if (typeof entry.step !== 'number' || typeof entry.path !== 'string') throw usage(`trace.json entry ${i} needs a numeric "step" and a "path"`);
      const path = resolve(folder, entry.path);
      return { step: entry.step, path, ...(tokenizer ? { tokenizer } : {}), source: { kind: 'local' as const, path } };
    });
  }
  return readdirSync(folder).flatMap((name) => candidate(join(folder, name), options));
}

function fromGlob(pattern: string, options: DiscoveryOptions): Checkpoint[] {
  const folder = dirname(pattern);
  if (folder.includes('*')) throw usage('only the last part of a checkpoint glob may contain *');
  const expression = new RegExp(
    `^${basename(pattern)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  if (!existsSync(folder)) throw usage(`${folder} does not exist`);
  return readdirSync(folder)
    .filter((name) => expression.test(name))
    .flatMap((name) => candidate(join(folder, name), options));
}

/**
 * A folder holding an .onnx model or a safetensors checkpoint, or an .onnx file, whose name carries
 * a step number (the last number in it). A Trainer checkpoint's trainer_state.json records its
 * global_step: it gives the step of a folder whose name has none, and must agree with one that has.
 */
function candidate(path: string, options: DiscoveryOptions): Checkpoint[] {
  const numbers = basename(path).match(/\d+/g);
  const named = numbers ? Number(numbers[numbers.length - 1]) : null;
  if (!statSync(path).isDirectory()) return named !== null && path.endsWith('.onnx') ? [{ step: named, path, source: { kind: 'local', path } }] : [];
  const names = readdirSync(path);
  const trainerStep = names.includes('trainer_state.json') ? globalStep(join(path, 'trainer_state.json')) : null;
  if (named === null && trainerStep === null) return [];
  if (named !== null && trainerStep !== null && named !== trainerStep) {
    throw usage(`${path}: its name says step ${named} but its trainer_state.json says global_step ${trainerStep}; rename the folder or list the checkpoints in a trace.json`);
  }
  const hasConfig = names.includes('config.json');
  if (names.some((name) => name.endsWith('.onnx')) || (hasConfig && (names.includes(SINGLE_FILE) || names.includes(INDEX_FILE)))) {
    return [{ step: (named ?? trainerStep)!, path, source: { kind: 'local', path } }];
  }
  if (hasConfig && names.some((name) => name === 'pytorch_model.bin' || name === 'pytorch_model.bin.index.json')) {
    options.onNote?.(`left out ${path}: its weights are pytorch_model.bin, and Sink Lens reads safetensors (save with safe_serialization=True, the Trainer's default)`);
  }
  return [];
}

function globalStep(path: string): number | null {
  const state = readJsonIfPresent(path) as { global_step?: unknown } | null;
  return Number.isSafeInteger(state?.global_step) && (state!.global_step as number) >= 0 ? (state!.global_step as number) : null;
}
