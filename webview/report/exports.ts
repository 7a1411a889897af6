/** The Sink Report's exports: file names, and the CSV of a table of the run. */
import { reportCsv, type CsvTable } from '../../src/protocol/reportCsv';
import type { RunView } from './runView';

export function csvOf(run: RunView, table: CsvTable): string {
  return reportCsv(run.report, table);
}

export const pngName = (run: RunView, part: string) => `sink-${part}-${run.runId}.png`;
export const csvName = (run: RunView, table: CsvTable) => `sink-${table}-${run.runId}.csv`;
export const jsonName = (run: RunView) => `sink-report-${run.runId}.json`;
