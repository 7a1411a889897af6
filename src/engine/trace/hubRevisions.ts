/**
 * A training run published as revisions of one hub model, the way Pythia publishes its checkpoints:
 * a branch per saved step, named `stepN` (`step0`, `step1000`, … `step143000`). Only what is in the
 * local hub cache counts (never downloaded). A trace takes every `stepN` revision there, ordered by
 * step, or the ones `--revisions` names. Other refs (`main`, tags, `refs/pr/N`) name no step and are
 * left out with a note: `main` is usually one of the step revisions already (Pythia's is
 * step143000), and a step invented for it would be a guess.
 */
import { SinkLensError } from '../errors';
import { downloadCommand, HubModelId, HubRevision, hubRepoFolder, listHubModels, listHubRevisions } from '../hf/hubCache';
import type { Checkpoint } from '../../protocol/trace';

const STEP_REVISION = /^step(\d+)$/;

/** The training step a revision name such as `step1000` carries, or null. */
export function stepOfRevision(name: string): number | null {
  const match = STEP_REVISION.exec(name);
  return match ? Number(match[1]) : null;
}

export interface HubTraceOptions {
  /** Only these revisions (each must be in the cache); default: every stepN revision there. */
  revisions?: string[];
  /** What was left out and why, one line each. */
  onNote?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** The checkpoints of a hub model's step revisions in the local cache, ordered by step. */
export function discoverHubCheckpoints(id: HubModelId, options: HubTraceOptions = {}): Checkpoint[] {
  if (id.revision) {
    throw new SinkLensError(
      'usage',
      'bad-checkpoints',
      `--checkpoints ${id.repoId}@${id.revision}: a trace takes a model's revisions with --revisions, e.g. --checkpoints ${id.repoId} --revisions ${id.revision}`,
    );
  }
  const repoFolder = hubRepoFolder(id, options.env);
  const revisions = listHubRevisions(repoFolder);
  const chosen = options.revisions ? namedRevisions(id, repoFolder, revisions, options.revisions) : stepRevisions(id, revisions, options.onNote);
  if (chosen.length === 0) {
    const refs = revisions.map((revision) => `${revision.name} → ${revision.commit.slice(0, 7)}`).join(', ') || 'no refs';
    throw new SinkLensError(
      'usage',
      'bad-checkpoints',
      `${id.repoId} in the local Hugging Face cache (${repoFolder}) has no checkpoint revisions named stepN (it has ${refs}); fetch them with e.g.: ${downloadCommand({ ...id, revision: 'step1000' })}`,
    );
  }
  return chosen
    .map((revision) => ({
      step: stepOfRevision(revision.name)!,
      path: `${id.repoId}@${revision.name}`,
      source: { kind: 'hub' as const, repoId: id.repoId, revision: revision.name, commit: revision.commit },
    }))
    .sort((a, b) => a.step - b.step);
}

function stepRevisions(id: HubModelId, revisions: HubRevision[], onNote?: (line: string) => void): HubRevision[] {
  const steps = revisions.filter((revision) => stepOfRevision(revision.name) !== null);
  const others = revisions.filter((revision) => stepOfRevision(revision.name) === null);
  if (others.length > 0) {
    const described = others.map((other) => {
      const same = steps.find((revision) => revision.commit === other.commit);
      return `${other.name} (${same ? `the commit of ${same.name}` : `commit ${other.commit.slice(0, 7)}`})`;
    });
    onNote?.(`${id.repoId}: left out the refs that name no step: ${described.join(', ')}`);
  }
  for (const revision of steps.filter((step) => !step.hasCheckpoint)) {
    onNote?.(
      `${id.repoId}: left out ${revision.name}: its snapshot has no config.json with model.safetensors (a partial download?); complete it with: ${downloadCommand({ ...id, revision: revision.name })}`,
    );
  }
  return steps.filter((revision) => revision.hasCheckpoint);
}

/** `--revisions`: each must be a stepN revision whose checkpoint is in the cache; all that are not are named in one line. */
function namedRevisions(id: HubModelId, repoFolder: string, revisions: HubRevision[], names: string[]): HubRevision[] {
  const wanted = [...new Set(names.map((name) => name.trim()).filter(Boolean))];
  const stepless = wanted.filter((name) => stepOfRevision(name) === null);
  if (stepless.length > 0) {
    throw new SinkLensError(
      'usage',
      'bad-revisions',
      `--revisions ${stepless.join(', ')}: a trace orders checkpoints by the step in revision names stepN (such as step1000); ${stepless.length === 1 ? 'this one names' : 'these name'} no step`,
    );
  }
  const byName = new Map(revisions.map((revision) => [revision.name, revision]));
  const missing = wanted.filter((name) => !byName.get(name)?.hasCheckpoint);
  if (missing.length > 0) {
    const known = revisions.filter((revision) => revision.hasCheckpoint && stepOfRevision(revision.name) !== null).map((revision) => revision.name);
    const has = known.length === 0 ? 'no step revisions' : `${known.length} step revision${known.length === 1 ? '' : 's'}: ${abbreviated(known)}`;
    throw new SinkLensError(
      'model',
      'revision-not-found',
      `${missing.length === 1 ? 'revision' : 'revisions'} ${missing.join(', ')} of ${id.repoId} ${missing.length === 1 ? 'is' : 'are'} not in the local Hugging Face cache (${repoFolder} has ${has}); fetch ${missing.length === 1 ? 'it' : 'them'} with: ${missing.map((revision) => downloadCommand({ ...id, revision })).join(' && ')}`,
    );
  }
  return wanted.map((name) => byName.get(name)!);
}

function abbreviated(names: string[]): string {
  const sorted = [...names].sort((a, b) => stepOfRevision(a)! - stepOfRevision(b)!);
  return sorted.length <= 6 ? sorted.join(', ') : `${sorted.slice(0, 3).join(', ')}, …, ${sorted.slice(-2).join(', ')}`;
}

/** A hub model with training checkpoints in the cache, for a picker: its stepN revisions that hold a checkpoint, by step. */
export interface HubTraceModel {
  repoId: string;
  revisions: { name: string; step: number; commit: string }[];
}

/** Models in the local hub cache with at least `minimum` step revisions that hold a checkpoint. */
export function listHubTraceModels(minimum = 2, env: NodeJS.ProcessEnv = process.env): HubTraceModel[] {
  return listHubModels(env)
    .map(({ repoId, folder }) => ({
      repoId,
      revisions: listHubRevisions(folder)
        .filter((revision) => revision.hasCheckpoint && stepOfRevision(revision.name) !== null)
        .map((revision) => ({ name: revision.name, step: stepOfRevision(revision.name)!, commit: revision.commit }))
        .sort((a, b) => a.step - b.step),
    }))
    .filter((model) => model.revisions.length >= minimum);
}
