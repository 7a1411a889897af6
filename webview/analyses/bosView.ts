/**
 * With and without BOS: sink rates side by side, both P0 norm-ratio curves on one chart, both sink
 * grids and both verdicts (the paper's Table 1a, Figure 3), with what this model does in one line.
 */
import type { BosComparison } from '../../src/protocol/analyses';
import type { ModelSummary, SinkReport } from '../../src/protocol/report';
import { displayToken } from '../../src/protocol/tokenText';
import { describeVerdict } from '../../src/protocol/verdict';
import { card, chartBox, explain, numberCell } from '../kit/cards';
import { h } from '../kit/dom';
import { maxOf, percent, times } from '../kit/format';
import { readTheme } from '../kit/theme';
import { lineChart } from './analysisCharts';
import { depthLabel, slidingNote } from './labels';
import { sinkGrid } from './sinkScoreTable';

export function bosView(doc: BosComparison, model: ModelSummary): (HTMLElement | string)[] {
  const theme = readTheme();
  const { withBos, withoutBos } = doc;
  const rows: [string, string, number | null, number | null, (v: number | null) => string][] = [
    ['sinkRate[0:]', 'all', doc.sinkRate.withBos.all, doc.sinkRate.withoutBos.all, percent],
    ['sinkRate[2:]', '2', doc.sinkRate.withBos.fromLayer2, doc.sinkRate.withoutBos.fromLayer2, percent],
    ['max P0 norm ratio', 'ratio', maxOf(withBos.residual.p0NormRatio), maxOf(withoutBos.residual.p0NormRatio), times],
    ['tokens', 'tokens', withBos.tokens.length, withoutBos.tokens.length, (v) => String(v ?? '–')],
    ['first token', 'first', null, null, () => ''],
  ];
  const table = h(
    'table',
    { class: 'data-table side-by-side', 'data-testid': 'bos-table' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col', class: 'num' }, 'with BOS'), h('th', { scope: 'col', class: 'num' }, 'without BOS'))),
    h(
      'tbody',
      {},
      ...rows.map(([label, key, a, b, format]) =>
        key === 'first'
          ? h(
              'tr',
              {},
              h('th', { scope: 'row' }, label),
              h('td', { class: 'num first-token' }, displayToken(withBos.tokens[0]?.text ?? '')),
              h('td', { class: 'num first-token' }, displayToken(withoutBos.tokens[0]?.text ?? '')),
            )
          : h('tr', {}, h('th', { scope: 'row' }, label), numberCell(`bos-${key}-with`, a, format(a)), numberCell(`bos-${key}-without`, b, format(b))),
      ),
    ),
  );
  const verdict = (report: SinkReport, id: string, title: string) => {
    const text = describeVerdict(report);
    return h('div', { class: 'verdict', 'data-testid': id }, h('h3', {}, title), h('p', { class: 'headline' }, text.headline), h('ul', {}, ...text.details.map((line) => h('li', {}, line))));
  };
  const depths = withBos.residual.depths;
  const before = doc.sinkRate.withBos.all;
  const after = doc.sinkRate.withoutBos.all;
  const reading =
    before <= 0
      ? `Here there is no sink even with BOS (sinkRate[0:] ${percent(before)}), so there is nothing to follow.`
      : after >= 0.5 * before
        ? `Here the sink survives without BOS (sinkRate[0:] ${percent(before)} with it, ${percent(after)} without): it follows position 0, as in the paper.`
        : `Here the sink does not survive without BOS (sinkRate[0:] ${percent(before)} with it, ${percent(after)} without; max P0 norm ratio ${times(maxOf(withBos.residual.p0NormRatio))} → ${times(maxOf(withoutBos.residual.p0NormRatio))}): this model's sink follows the BOS token, not position 0.`;
  return [
    explain(
      'The same text analysed twice: with the BOS token, and without it, so that position 0 holds the first real token.',
      "The paper found that the sink does not need BOS: without it, heads still put their attention on whatever token is first and its hidden state's norm still rises within the first two layers (Table 1a, Figure 3).",
    ),
    h('p', { class: 'headline reading', 'data-testid': 'bos-reading' }, reading),
    slidingNote(model) ?? '',
    h(
      'div',
      { class: 'two-columns' },
      card(
        'Sink rates',
        'bos-rates',
        table,
        h('p', { class: 'hint' }, `Share of heads that put more than ε = ${withBos.attention.sinkRate.epsilon} of their attention on position 0; [2:] counts layers 2 and above only.`),
      ),
      card(
        'P0 norm ratio by depth',
        'bos-curves',
        chartBox(
          lineChart(
            'P0 norm ratio by depth, with and without BOS',
            depths.map((d) => depthLabel(model, d)),
            [
              { label: 'with BOS', data: withBos.residual.p0NormRatio, color: theme.accent },
              { label: 'without BOS', data: withoutBos.residual.p0NormRatio, color: theme.second, dash: [6, 4] },
            ],
            'P0 norm ratio (‖h₀‖ / median ‖hᵢ‖)',
          ),
        ),
      ),
    ),
    h(
      'div',
      { class: 'two-columns' },
      card('Verdict with BOS', 'bos-verdict-with', verdict(withBos, 'verdict-with', '')),
      card('Verdict without BOS', 'bos-verdict-without', verdict(withoutBos, 'verdict-without', '')),
    ),
    h(
      'div',
      { class: 'two-columns' },
      card('Sink scores with BOS (layer × head)', 'bos-grid-with', sinkGrid(withBos, 'grid-with')),
      card('Sink scores without BOS (layer × head)', 'bos-grid-without', sinkGrid(withoutBos, 'grid-without')),
    ),
  ];
}
