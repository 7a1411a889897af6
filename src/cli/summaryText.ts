/** The CLI's terminal summary: a sink-score table, the P0 norm curve against the rest, the verdict. */
import { median } from '../protocol/measures';
import type { SinkReport } from '../protocol/report';
import { describeVerdict } from '../protocol/verdict';

const SHADES = ' ▁▂▃▄▅▆▇█';

function bar(value: number, max: number): string {
  const level = max > 0 ? Math.round((value / max) * (SHADES.length - 1)) : 0;
  return SHADES[Math.max(0, Math.min(SHADES.length - 1, level))];
}

export function formatSummary(report: SinkReport): string {
  const { model, runtime, residual, attention } = report;
  const lines: string[] = [];
  const device = runtime.executionProvider.toUpperCase() + (runtime.fallbackReason ? ` (${runtime.fallbackReason})` : '');
  lines.push(`Sink Lens · ${model.path}`);
  lines.push(`  ${model.architecture}, ${model.layers} layers × ${model.heads} heads, hidden ${model.hiddenSize}, ${model.dtype} · ran on ${device}`);
  const preview = report.prompt.text === null ? `ids ${report.tokens.map((token) => token.id).join(',')}` : JSON.stringify(report.prompt.text);
  lines.push(`  prompt: ${report.tokens.length} tokens${report.prompt.bos ? ' (BOS first)' : ''}: ${truncate(preview, 70)}`);
  lines.push('');

  lines.push('P0 norm vs the median of the other positions, by depth');
  lines.push('  depth    P0 norm   others   ratio');
  const maxRatio = Math.max(...residual.p0NormRatio.map((ratio) => ratio ?? 0));
  residual.depths.forEach((depth, i) => {
    // A position the graph does not compute at this depth (a sliced last block) is null: shown as '-'.
    const norms = residual.norms[i];
    const others = norms.slice(1).filter((norm): norm is number => norm !== null);
    const rest = others.length > 0 ? median(others) : NaN;
    const ratio = residual.p0NormRatio[i];
    const p0 = norms[0] === null ? '-' : norms[0].toFixed(3);
    lines.push(
      `  ${String(depth).padEnd(6)} ${p0.padStart(9)} ${(Number.isNaN(rest) ? '-' : rest.toFixed(3)).padStart(8)} ${ratio === null ? '    -' : ratio.toFixed(2).padStart(7)}  ${ratio === null ? '' : bar(ratio, maxRatio).repeat(3)}`,
    );
  });
  lines.push('');

  lines.push(`Sink score (mean attention to token 0) per layer × head · ε = ${attention.sinkRate.epsilon}, uniform baseline ${attention.uniformBaseline.toFixed(3)}`);
  const heads = attention.sinkScore[0]?.length ?? 0;
  lines.push(`  layer ${Array.from({ length: heads }, (_, h) => `h${h}`.padStart(5)).join('')}   mean`);
  attention.sinkScore.forEach((scores, layer) => {
    const cells = scores.map((score) => `${score > attention.sinkRate.epsilon ? '*' : ' '}${score.toFixed(2).slice(1).padStart(4)}`).join('');
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const mark = model.slidingWindowLayers.includes(layer) ? ' (sliding window)' : '';
    lines.push(`  ${String(layer).padEnd(5)} ${cells}   ${mean.toFixed(2)}${mark}`);
  });
  lines.push(`  (* = above ε)  sinkRate: all layers ${pct(attention.sinkRate.all)}, from layer 2 ${attention.sinkRate.fromLayer2 === null ? 'n/a' : pct(attention.sinkRate.fromLayer2)}`);
  lines.push('');

  const verdict = describeVerdict(report);
  lines.push(`Verdict: ${verdict.headline}`);
  for (const detail of verdict.details) lines.push(`  - ${detail}`);
  for (const warning of report.warnings) lines.push(`  ! ${warning.message}`);
  return lines.join('\n');
}

const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
const truncate = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);
