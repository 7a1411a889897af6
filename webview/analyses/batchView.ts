/**
 * Many prompts: per-prompt sink rates and their mean, a depth x position heat map of the
 * cross-input cosine with P0 highlighted, P0 separation, the mean P0 state's top dims (massive
 * activations, at a depth the user picks) and the MLP activations of layers 0-1 at P0 (the paper's
 * Figures 4-5).
 */
import type { BatchDocument } from '../../src/protocol/analyses';
import type { ModelSummary } from '../../src/protocol/report';
import { card, chartBox, explain, numberCell, shadeCell } from '../kit/cards';
import { h } from '../kit/dom';
import { formatNumber, isNumber, maxOf, percent, times } from '../kit/format';
import { readTheme } from '../kit/theme';
import { barChart } from './analysisCharts';
import { depthLabel, slidingLabel, slidingNote } from './labels';

/** The depth whose mean P0 state is drawn as bars (null: the first massive depth, else the last), and how the user changes it. */
export interface DepthChoice {
  depth: number | null;
  choose(depth: number): void;
}

export function batchView(doc: BatchDocument, model: ModelSummary, choice: DepthChoice): (HTMLElement | string)[] {
  const theme = readTheme();
  const prompts = h(
    'table',
    { class: 'data-table', 'data-testid': 'batch-prompts' },
    h('thead', {}, h('tr', {}, ...['prompt', 'source', 'tokens', 'sinkRate[0:]', 'sinkRate[2:]', 'max P0 ratio'].map((label) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      ...doc.prompts.map((prompt, index) =>
        h(
          'tr',
          {},
          h('td', { class: 'prompt-text', title: prompt.text ?? '' }, (prompt.text ?? '').slice(0, 60) + ((prompt.text ?? '').length > 60 ? '…' : '')),
          h('td', {}, prompt.source),
          numberCell(undefined, prompt.tokens, String(prompt.tokens)),
          numberCell(`batch-rate-${index}`, prompt.sinkRate.all, percent(prompt.sinkRate.all)),
          numberCell(undefined, prompt.sinkRate.fromLayer2, percent(prompt.sinkRate.fromLayer2)),
          numberCell(undefined, maxOf(prompt.p0NormRatio), times(maxOf(prompt.p0NormRatio))),
        ),
      ),
    ),
    h(
      'tfoot',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'row', colspan: 3 }, `mean of ${doc.prompts.length} per-prompt rates`),
        numberCell('batch-mean-rate', doc.sinkRate.all, percent(doc.sinkRate.all)),
        numberCell('batch-mean-rate-2', doc.sinkRate.fromLayer2, percent(doc.sinkRate.fromLayer2)),
        h('td', {}, ''),
      ),
    ),
  );

  // Depth x position heat map of the cross-input cosine, P0 highlighted, P0 separation on the right.
  const { depths, positions, values } = doc.crossInputCosine;
  const heat = h(
    'table',
    { class: 'grid-table cosine-grid', 'data-testid': 'batch-cosine' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'depth'),
        ...positions.map((p) => h('th', { scope: 'col', class: p === 0 ? 'p0' : '' }, p === 0 ? 'P0' : `P${p}`)),
        h('th', { scope: 'col', class: 'separated' }, 'P0 separation'),
      ),
    ),
    h(
      'tbody',
      {},
      ...depths.map((depth, d) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, depthLabel(model, depth)),
          ...positions.map((p) => {
            const value = values[d]?.[p] ?? null;
            const cell = h(
              'td',
              {
                class: `num${p === 0 ? ' p0' : ''}`,
                'data-testid': `cos-${d}-${p}`,
                'data-value': isNumber(value) ? String(value) : '',
                title: `depth ${depth}, position ${p}: mean cosine across prompt pairs ${formatNumber(value, 4)}`,
              },
              formatNumber(value, 2),
            );
            if (isNumber(value)) shadeCell(cell, Math.max(0, value));
            return cell;
          }),
          numberCell(`sep-${d}`, doc.p0Separation[d], formatNumber(doc.p0Separation[d], 2)),
        ),
      ),
    ),
  );
  const oneInput = doc.prompts.length < 2;

  // Mean P0 hidden state: top dims at the chosen depth.
  const chosen =
    choice.depth !== null && doc.meanP0Hidden.some((entry) => entry.depth === choice.depth) ? choice.depth : (doc.firstMassiveDepth ?? doc.meanP0Hidden[doc.meanP0Hidden.length - 1]?.depth ?? 0);
  const entry = doc.meanP0Hidden.find((item) => item.depth === chosen) ?? doc.meanP0Hidden[0];
  const select = h('select', { id: 'depth-select', 'data-testid': 'depth-select' }) as HTMLSelectElement;
  for (const item of doc.meanP0Hidden) {
    const option = h('option', { value: String(item.depth) }, `depth ${depthLabel(model, item.depth)}${item.massive ? ' (massive)' : ''}`) as HTMLOptionElement;
    option.selected = item.depth === entry?.depth;
    select.append(option);
  }
  select.addEventListener('change', () => choice.choose(Number(select.value)));
  const massiveCard = card(
    'Mean P0 hidden state: top dims',
    'batch-massive',
    h('p', { class: 'hint' }, "The dims of largest magnitude in position 0's hidden state averaged over the prompts. Massive: |value| > 100 and at least 1000× the median magnitude (Sun et al.)."),
    h('label', { for: 'depth-select', class: 'slider-label' }, 'Depth: '),
    select,
    entry
      ? h(
          'p',
          { 'data-testid': 'massive-status', 'data-massive': String(entry.massive) },
          entry.massive ? h('strong', { class: 'massive' }, 'massive activation ') : 'not massive ',
          `at depth ${entry.depth}: median |value| ${formatNumber(entry.median, 3)}. `,
          doc.firstMassiveDepth === null ? 'No depth has a massive dim.' : `First massive depth: ${doc.firstMassiveDepth}.`,
        )
      : null,
    entry
      ? chartBox(
          barChart(
            `Top dims of the mean P0 state at depth ${entry.depth}`,
            entry.top.map((dim) => `dim ${dim.dim}`),
            entry.top.map((dim) => dim.value),
            'value',
            entry.top.map(() => (entry.massive ? theme.accent : theme.second)),
          ),
          'bars',
        )
      : null,
  );
  const mlp = h(
    'table',
    { class: 'data-table', 'data-testid': 'batch-mlp' },
    h('thead', {}, h('tr', {}, ...['MLP layer', 'cross-input cosine at P0', 'mean top dims at P0'].map((label) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      ...doc.mlp.map((layer) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, `L${layer.layer}${slidingLabel(model, layer.layer)}`),
          numberCell(`mlp-cos-${layer.layer}`, layer.crossInputCosineP0, formatNumber(layer.crossInputCosineP0, 3)),
          h('td', {}, layer.meanTopDimsP0.map((dim) => `${dim.dim}: ${formatNumber(dim.value, 2)}`).join(' · ')),
        ),
      ),
    ),
  );
  return [
    explain(
      `The same analysis on ${doc.prompts.length} prompt${doc.prompts.length === 1 ? '' : 's'}: the sink rate of each and their mean, and how alike the hidden states at positions 0…${positions.length - 1} are across different prompts (cross-input cosine).`,
      "The paper found that position 0's state converges to nearly the same vector for every input within the first layers, while later positions stay input-dependent (Figure 4), and that the layer-0/1 MLP activations at P0 cluster the same way (Figure 5). With BOS, position 0 is the same token in every prompt, so its cosine is 1 by construction; compare without BOS (setting sinkLens.addBos).",
    ),
    slidingNote(model) ?? '',
    card('Sink rate per prompt', 'batch-rates', h('div', { class: 'table-scroll' }, prompts)),
    h(
      'div',
      { class: 'two-columns' },
      card(
        'Cross-input cosine by depth and position',
        'batch-heat',
        oneInput ? h('p', { class: 'hint' }, 'Needs two or more prompts: select several paragraphs or string literals.') : null,
        heat,
        h(
          'p',
          { class: 'hint' },
          'Cells: mean cosine of the hidden states at that position over all pairs of prompts (1 = the same direction for every input). P0 (outlined) is the first position. P0 separation: mean cosine of P0 to the other positions of the same prompt (low = P0 set apart).',
        ),
      ),
      massiveCard,
    ),
    card('MLP activations of layers 0 and 1 at P0', 'batch-mlp-card', mlp, h('p', { class: 'hint' }, 'The input of the down-projection at position 0, compared across prompts.')),
  ];
}
