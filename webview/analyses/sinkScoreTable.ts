/** A layer x head table of sink scores, shaded from the uniform baseline to 1; sinks (> ε) in bold; SW layers marked. */
import type { SinkReport } from '../../src/protocol/report';
import { shadeCell } from '../kit/cards';
import { h } from '../kit/dom';

export function sinkGrid(report: SinkReport, testId: string): HTMLElement {
  const scores = report.attention.sinkScore;
  const heads = scores[0]?.length ?? 0;
  const epsilon = report.attention.sinkRate.epsilon;
  const base = report.attention.uniformBaseline;
  return h(
    'table',
    { class: 'grid-table', 'data-testid': testId },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'layer'), ...Array.from({ length: heads }, (_, head) => h('th', { scope: 'col' }, `H${head}`)))),
    h(
      'tbody',
      {},
      ...scores.map((row, layer) =>
        h(
          'tr',
          { class: report.model.slidingWindowLayers.includes(layer) ? 'sliding' : '' },
          h('th', { scope: 'row' }, `L${layer}${report.model.slidingWindowLayers.includes(layer) ? ' SW' : ''}`),
          ...row.map((score) => {
            const cell = h('td', { class: score > epsilon ? 'num sink' : 'num', title: `sinkScore ${score.toFixed(4)} (ε ${epsilon}, uniform ${base.toFixed(3)})` }, score.toFixed(2));
            shadeCell(cell, (score - base) / Math.max(1e-6, 1 - base));
            return cell;
          }),
        ),
      ),
    ),
  );
}
