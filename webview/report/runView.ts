/** The run the Sink Report shows (its whole report, as the host sent it once) and what the page reads off it. */
import { meanReceived, type ReportArrays, type RunReport } from '../../src/protocol/runReport';
import { describeVerdict, type VerdictText } from '../../src/protocol/verdict';

export interface RunView {
  runId: string;
  report: ReportArrays;
  /** The verdict in words (src/protocol/verdict.ts), as the CLI prints it. */
  verdict: VerdictText;
  /** Attention each token receives, averaged over layers; null for a report without attention.received (stored by an earlier version). */
  meanReceived: Float32Array | null;
}

export function newRunView({ runId, report }: RunReport): RunView {
  return { runId, report, verdict: describeVerdict(report), meanReceived: report.attention.received?.length ? meanReceived(report.attention.received, report.tokens.length) : null };
}

export function progressText(run: RunView): string {
  return `Done: ${run.report.tokens.length} tokens, ${run.report.model.layers} layers.`;
}
