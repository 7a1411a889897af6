/** How the trace panel reads a checkpoint: its largest P0 norm ratio, its concentration, its step as a label, and where step 0 goes on a log axis. */
import { CONCENTRATION_NULL_REASONS } from '../../src/protocol/report';
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { formatNumber, isNumber, maxOf } from '../kit/format';

export const maxRatio = (checkpoint: TraceCheckpoint): number | null => maxOf(checkpoint.p0NormRatio);

export const stepLabel = (step: number) => (step >= 1000 && step % 100 === 0 ? `${step / 1000}k` : String(step));

/** Where step 0 goes on the log axis: one octave left of the first positive step, labelled 0. */
export function zeroPosition(checkpoints: TraceCheckpoint[]): number {
  const firstPositive = checkpoints.find((checkpoint) => checkpoint.step > 0)?.step ?? 2;
  return firstPositive / 2;
}

/** Why a checkpoint has no concentration (docs/ANALYSES.md): a share of growth where there is none is undefined. */
export const NO_GROWTH = "no growth to share: P0's norm never reaches 2× the others' median (no formation depth), or its ratio does not rise above depth 0's";

/** Concentration as the panel writes it: "—" where it is null, with why in its title (the trace's own reason where it has one). */
export function concentrationText({ concentration, concentrationNullReason }: Pick<TraceCheckpoint, 'concentration' | 'concentrationNullReason'>): { text: string; title: string } {
  if (isNumber(concentration)) return { text: formatNumber(concentration, 2), title: "Share of the P0 norm ratio's log growth reached by depth 2 (docs/ANALYSES.md)." };
  return { text: '—', title: `No concentration: ${concentrationNullReason ? CONCENTRATION_NULL_REASONS[concentrationNullReason] : NO_GROWTH}.` };
}
