/** The Sink Report's exports: file names, and the CSV of a table from the parts of the run that arrived. */
import { reportCsv, type CsvTable } from '../../src/protocol/reportCsv';
import type { RunView } from './runView';

export function csvOf(run: RunView, table: CsvTable): string {
  const { summary } = run;
  return reportCsv(
    {
      tokens: summary.tokens,
      attention: { sinkScore: summary.sinkScore, sinkRate: summary.sinkRate, uniformBaseline: summary.uniformBaseline, firstTokenAttention: [] },
      residual: { depths: summary.depths, norms: summary.norms.map((row) => Array.from(row)), p0NormRatio: summary.p0NormRatio, p0Separation: summary.p0Separation },
      mlp: { layers: [...run.layers.values()].sort((a, b) => a.layer - b.layer).map((layer) => ({ layer: layer.layer, norms: layer.mlpNorms ? Array.from(layer.mlpNorms) : null })) },
    },
    table,
  );
}

export const pngName = (run: RunView, part: string) => `sink-${part}-${run.summary.runId}.png`;
export const csvName = (run: RunView, table: CsvTable) => `sink-${table}-${run.summary.runId}.csv`;
export const jsonName = (run: RunView) => `sink-report-${run.summary.runId}.json`;
