/** CSV of a report's tables, for exports from the panel and the explorer. Pure; shared by host and webview. */
import type { AttentionSection, ReportToken } from './report';

export type CsvTable = 'sinkScores' | 'norms' | 'mlpNorms';

/** Per-position values as the JSON report has them (null: not computed) or as a run crosses (Float32Array, NaN). */
type PositionValues = ArrayLike<number | null>;

/** What the tables are made of: a JSON report, or the typed report of a run (runReport.ts). */
export interface CsvSource {
  tokens: ReportToken[];
  attention: Pick<AttentionSection, 'sinkScore' | 'sinkRate' | 'uniformBaseline'>;
  residual: { depths: number[]; norms: readonly PositionValues[] };
  mlp?: { layers: { layer: number; norms: PositionValues | null }[] };
}

/** `mlp` is needed for the mlpNorms table only (layers whose norms are null, a mixture of experts, have no rows). */
export function reportCsv(report: CsvSource, table: CsvTable): string {
  const rows: (string | number | null)[][] = [];
  if (table === 'sinkScores') {
    rows.push(['layer', 'head', 'sinkScore', 'aboveEpsilon', 'epsilon', 'uniformBaseline']);
    const { sinkScore, sinkRate, uniformBaseline } = report.attention;
    sinkScore.forEach((heads, layer) => heads.forEach((score, head) => rows.push([layer, head, score, score > sinkRate.epsilon ? 1 : 0, sinkRate.epsilon, uniformBaseline])));
  } else if (table === 'mlpNorms') {
    rows.push(['layer', 'position', 'tokenId', 'token', 'mlpActivationNorm']);
    for (const { layer, norms } of report.mlp?.layers ?? []) for (let t = 0; t < (norms?.length ?? 0); t++) rows.push([layer, t, report.tokens[t]?.id ?? '', report.tokens[t]?.text ?? '', norms![t]]);
  } else {
    rows.push(['depth', 'position', 'tokenId', 'token', 'norm']);
    report.residual.depths.forEach((depth, i) => report.tokens.forEach((token, t) => rows.push([depth, t, token.id, token.text, report.residual.norms[i][t]])));
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** An empty field for a value that is absent (null: a position the graph does not compute) or not finite. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  // A leading =, +, - or @ would be read as a formula by spreadsheets: prefix a quote.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  // Tokens carry commas, quotes, line breaks and leading or trailing spaces: quote those.
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
