/**
 * A Pythia-shaped Hugging Face hub cache: a tiny GPT-NeoX (parallel attention + MLP, a quarter of
 * each head rotated) trained here on Sinklet's task until a BOS sink grows, its training checkpoints
 * stored as the revisions `step0`, `step100`, `step200`, `step400` of `sink-lens/pythia-sinklet` (refs/, snapshots/,
 * blobs/ with symlinks), as EleutherAI publishes Pythia's. Made by tools/pythia_sinklet/train.py on
 * first use into .cache/pythia-hub (400 steps: about 40 s of one CPU thread; never committed).
 * Pass the folder as HF_HUB_CACHE and open `PYTHIA_HUB_ID@stepN` (or the bare id: main = the last).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';
import { PYTHON, torchMissing } from './torchReference';

export const PYTHIA_HUB_ID = 'sink-lens/pythia-sinklet';
const HUB = join(repoRoot, '.cache', 'pythia-hub');
const TOOL = join(repoRoot, 'tools', 'pythia_sinklet', 'train.py');
const MEASURED = join(HUB, 'pythia-sinklet.json');

/** What the tool measured with the PyTorch reference at each revision (tools/pythia_sinklet/README.md). */
export interface PythiaRevision {
  revision: string;
  step: number;
  commit: string;
  samples: { sinkRate1: number; p0NormRatioMax2: number; loss: number };
}

export interface PythiaCache {
  /** The hub cache folder (HF_HUB_CACHE). */
  hub: string;
  /** `step0`, `step100`, …, in training order. */
  revisions: PythiaRevision[];
  /** The BB-task prompts (words) the tool measured on. */
  samples: string[];
}

/** Why the cache can be neither found nor made here (no PyTorch to train it), or null. */
export function pythiaHubMissing(): string | null {
  return existsSync(MEASURED) ? null : torchMissing();
}

/** The cache, trained now if it is missing; throws with the reason when it cannot be made. */
export function pythiaHubCache(): PythiaCache {
  if (!existsSync(MEASURED)) {
    const missing = pythiaHubMissing();
    if (missing) throw new Error(missing);
    execFileSync(PYTHON, [TOOL, '--out', HUB], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
  }
  const measured = JSON.parse(readFileSync(MEASURED, 'utf8')) as { revisions: PythiaRevision[]; samples: string[] };
  return { hub: HUB, revisions: measured.revisions, samples: measured.samples };
}

/** The snapshot folder of one revision (what the PyTorch reference reads). */
export function pythiaSnapshot(cache: PythiaCache, revision: string): string {
  const entry = cache.revisions.find((candidate) => candidate.revision === revision);
  if (!entry) throw new Error(`${PYTHIA_HUB_ID} has no revision ${revision} (it has ${cache.revisions.map((candidate) => candidate.revision).join(', ')})`);
  return join(cache.hub, 'models--sink-lens--pythia-sinklet', 'snapshots', entry.commit);
}
