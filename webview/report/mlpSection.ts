/**
 * The layer-0/1 MLP activation norms per position (the paper's Figure 5), with P0's norm against the
 * others' median (runReport.ts mlpLayers); a note where a layer has no single MLP activation.
 */
import { mlpLayers } from '../../src/protocol/runReport';
import { buttonRow } from '../kit/cards';
import { button, h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import { MlpChart } from './mlpChart';
import type { RunView } from './runView';

export class MlpSection {
  readonly body = h('div', { class: 'mlp-body' });
  readonly chart = new MlpChart();

  constructor(private readonly exports: { png(): void; csv(): void }) {}

  /** Draws layers 0 and 1 of the run. */
  set({ report }: RunView): void {
    const wanted = [0, 1].filter((layer) => layer < report.model.layers);
    const present = mlpLayers(report).filter((entry) => wanted.includes(entry.layer));
    const missing = wanted.filter((layer) => !present.some((entry) => entry.layer === layer));
    const note = missing.length
      ? h(
          'p',
          { class: 'note', 'data-testid': 'mlp-none' },
          `No MLP activation to draw for layer${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}: ${missing.length > 1 ? 'they route' : 'it routes'} tokens to experts (mixture of experts) or has no MLP the graph reader could match, so there is no single MLP activation.`,
        )
      : null;
    if (present.length === 0) {
      this.chart.set(null);
      this.body.replaceChildren(note!);
      return;
    }
    this.chart.set({ tokens: report.tokens.map((token) => token.text), layers: present });
    // P0 against the median of the other positions, as for the hidden state (readable by tests: data-value).
    const ratios = h(
      'p',
      { class: 'ratios', 'data-testid': 'mlp-p0' },
      ...present.flatMap(({ layer, atP0 }, i) => {
        const ratio = atP0.ratio !== null && Number.isFinite(atP0.ratio) ? atP0.ratio : null;
        return [
          i > 0 ? ' · ' : '',
          `Layer ${layer}: P0 `,
          h('span', { 'data-testid': `mlp-p0-${layer}`, 'data-value': String(atP0.norm) }, formatNumber(atP0.norm, 2)),
          `, median of the others ${formatNumber(atP0.othersMedian, 2)} (`,
          h('span', { 'data-testid': `mlp-p0-ratio-${layer}`, 'data-value': ratio === null ? '' : String(ratio) }, ratio === null ? '–' : `${ratio.toFixed(1)}×`),
          ')',
        ];
      }),
    );
    this.body.replaceChildren(
      h('div', { class: 'chart-box', 'data-testid': 'mlp-chart' }, this.chart.canvas),
      ratios,
      note ?? '',
      buttonRow(
        button('PNG', () => this.exports.png(), { secondary: true, testId: 'export-mlp-png', title: 'Save this chart as a PNG image' }),
        button('CSV', () => this.exports.csv(), { secondary: true, testId: 'export-mlp-csv', title: 'Save the MLP activation norms of every layer as CSV' }),
      ),
    );
  }
}
