/** The run the Sink Report shows (its whole report, as the host sent it once) and what the page reads off it. */
import type { ReportArrays, RunReport } from '../../src/protocol/runReport';
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
  return { runId, report, verdict: describeVerdict(report), meanReceived: meanOverLayers(report.attention.received, report.tokens.length) };
}

export function progressText(run: RunView): string {
  return `Done: ${run.report.tokens.length} tokens, ${run.report.model.layers} layers.`;
}

function meanOverLayers(received: Float32Array[] | undefined, tokens: number): Float32Array | null {
  if (!received?.length) return null;
  const mean = new Float32Array(tokens);
  for (const layer of received) for (let t = 0; t < tokens; t++) mean[t] += layer[t] / received.length;
  return mean;
}
