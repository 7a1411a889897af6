/**
 * `--shard I/N`: one of N processes (a Slurm array task, a Kubernetes indexed Job's pod) measures
 * its share of a trace's checkpoints into the shared cache. I is 0-based, as SLURM_ARRAY_TASK_ID
 * (with --array=0-(N-1)) and JOB_COMPLETION_INDEX count, so either goes in as it is. The share is
 * every N-th checkpoint of the step-ordered list, starting at the I-th: every shard computes the
 * same list from the same arguments, the shares never overlap and together cover it, and early
 * and late steps are spread over all shards.
 */
import { SinkLensError } from '../errors';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(count) || count < 1) {
    throw new SinkLensError('usage', 'bad-shard', `--shard ${text}: expected I/N with N ≥ 1 shards and I their 0-based index (e.g. --shard $SLURM_ARRAY_TASK_ID/4)`);
  }
  if (index >= count) {
    throw new SinkLensError(
      'usage',
      'bad-shard',
      `--shard ${text}: I is 0-based, so with ${count} shard${count === 1 ? '' : 's'} it is 0 to ${count - 1} (as SLURM_ARRAY_TASK_ID with --array=0-${count - 1}, or JOB_COMPLETION_INDEX)`,
    );
  }
  return { index, count };
}

/** The shard's share of `items` (in their order): those at positions index, index + count, … */
export function shareOf<T>(items: T[], shard: Shard): T[] {
  return items.filter((_, position) => position % shard.count === shard.index);
}
