/** Every checkpoint of the trace in a table; clicking a row (or Enter on it) selects its checkpoint. */
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { h } from '../kit/dom';
import { formatNumber, percent } from '../kit/format';
import { concentrationText, maxRatio } from './steps';

export function checkpointTable(checkpoints: TraceCheckpoint[], onSelect: (index: number) => void): HTMLElement {
  return h(
    'table',
    { class: 'trace-table', 'data-testid': 'trace-table' },
    h('thead', {}, h('tr', {}, ...['step', 'sinkRate[0:]', 'sinkRate[2:]', 'concentration', 'max P0 ratio', 'loss'].map((label) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      ...checkpoints.map((checkpoint, index) => {
        const row = h(
          'tr',
          { 'data-index': index, 'data-testid': `trace-row-${index}`, tabindex: 0 },
          h('th', { scope: 'row' }, String(checkpoint.step)),
          h('td', {}, percent(checkpoint.sinkRate.all)),
          h('td', {}, percent(checkpoint.sinkRate.fromLayer2)),
          h('td', { title: concentrationText(checkpoint).title }, concentrationText(checkpoint).text),
          h('td', {}, `${formatNumber(maxRatio(checkpoint), 2)}×`),
          h('td', {}, formatNumber(checkpoint.loss, 3)),
        );
        row.addEventListener('click', () => onSelect(index));
        row.addEventListener('keydown', (event) => event.key === 'Enter' && onSelect(index));
        return row;
      }),
    ),
  );
}

/** Marks the selected checkpoint's row. */
export function markSelectedRow(index: number): void {
  for (const row of document.querySelectorAll<HTMLTableRowElement>('.trace-table tbody tr')) row.setAttribute('aria-selected', String(Number(row.dataset.index) === index));
}
