/** How the trace panel reads a checkpoint: its largest P0 norm ratio, its step as a label, and where step 0 goes on a log axis. */
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { maxOf } from '../kit/format';

export const maxRatio = (checkpoint: TraceCheckpoint): number | null => maxOf(checkpoint.p0NormRatio);

export const stepLabel = (step: number) => (step >= 1000 && step % 100 === 0 ? `${step / 1000}k` : String(step));

/** Where step 0 goes on the log axis: one octave left of the first positive step, labelled 0. */
export function zeroPosition(checkpoints: TraceCheckpoint[]): number {
  const firstPositive = checkpoints.find((checkpoint) => checkpoint.step > 0)?.step ?? 2;
  return firstPositive / 2;
}
