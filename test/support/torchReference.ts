/**
 * The independent reference: tools/torch_ref/reference.py runs a PyTorch implementation of the same
 * weights (Debian's python3-torch) and prints every quantity as JSON.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';

export const PYTHON = '/usr/bin/python3';
const REFERENCE = join(repoRoot, 'tools', 'torch_ref', 'reference.py');

export interface Reference {
  depths: number[];
  norms: number[][];
  firstTokenAttention: number[][][];
  sinkScore: number[][];
  /** [layer][key]: the mean over heads and queries of the full probabilities. */
  received: number[][];
  /** [depth]: torch.median of |h| over the whole depth output (the lower middle value). */
  layerMedian: number[];
  /** null for mixture-of-experts layers. */
  mlpNorms: (number[] | null)[];
  p0Hidden: number[][];
  p0Separation: (number | null)[];
  /** The MLP activation at P0 per layer; null for mixture-of-experts layers. */
  mlpP0: (number[] | null)[];
  logits: number[][];
  attention?: number[][][];
}

let torchChecked: string | null | undefined;

/** Why the reference cannot run here, or null when it can. */
export function torchMissing(): string | null {
  if (torchChecked !== undefined) return torchChecked;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
  torchChecked =
    probe.status === 0 && existsSync(REFERENCE)
      ? null
      : `the PyTorch reference needs ${PYTHON} with torch and onnx (run tools/setup.sh): ${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}`;
  return torchChecked;
}

export function runReference(model: string, ids: number[], extra: string[] = []): Reference {
  const stdout = execFileSync(PYTHON, [REFERENCE, '--model', model, '--ids', ids.join(','), ...extra], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  return JSON.parse(stdout) as Reference;
}

/** The reference's mean next-token cross-entropy (nats) over `ids`, as a trace's `loss` measures it. */
export function referenceLoss(model: string, ids: number[]): number {
  const { logits } = runReference(model, ids);
  const total = ids.slice(1).reduce((sum, next, t) => {
    const max = Math.max(...logits[t]);
    return sum + max + Math.log(logits[t].reduce((acc, value) => acc + Math.exp(value - max), 0)) - logits[t][next];
  }, 0);
  return total / (ids.length - 1);
}
