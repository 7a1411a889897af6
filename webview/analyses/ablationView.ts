/**
 * Head ablation: each head of a layer removed in turn (a sweep), or the heads selected in the Sink
 * Report's grid removed together, against the unablated run: P0's norm ratio, sink rates and (over
 * two or more prompts) the cross-input cosines at P0, with their changes.
 */
import type { AblationDocument, AblationVariant, HeadRef } from '../../src/protocol/analyses';
import type { ModelSummary } from '../../src/protocol/report';
import { card, chartBox, explain, numberCell } from '../kit/cards';
import { h } from '../kit/dom';
import { delta, formatNumber, maxOf, percent, times } from '../kit/format';
import { readTheme } from '../kit/theme';
import { barChart, lineChart } from './analysisCharts';
import { depthLabel, slidingLabel, slidingNote } from './labels';

/** What was ablated: each head of one layer in turn (sweepLayer), or a set of heads together (ablateHeads). */
type Ablated = { layer: number } | { heads: HeadRef[] };

/** docs/ANALYSES.md, headAblation: what the paper found, for both ablation views. */
const ABLATION_FINDING =
  "The paper found that removing single layer-0 heads does not take away P0's distinctness (the heads act together), and that subtracting one head's contribution (LLaMA3.1-8B layer 0, head 29) makes P0 cluster in the MLP intermediate states.";

export function ablationView(doc: AblationDocument, model: ModelSummary, ablated: Ablated, addBos: boolean): (HTMLElement | string)[] {
  const theme = readTheme();
  const sweep = 'layer' in ablated;
  const swMarks = (heads: HeadRef[]) => [...new Set(heads.map((ref) => ref.layer))].map((layer) => slidingLabel(model, layer)).join('');
  const depth2 = doc.depths.indexOf(2);
  // The cosines compare prompts: with one prompt there is nothing to show, so their columns go.
  const acrossInputs = doc.prompts > 1;
  const base = doc.baseline;
  const baseMax = maxOf(base.p0NormRatio);
  const row = (variant: AblationVariant, index: number | null) => {
    const isBase = index === null;
    const id = isBase ? 'base' : String(index);
    const ratio = maxOf(variant.p0NormRatio);
    const cos = depth2 >= 0 ? variant.crossInputCosineP0[depth2] : null;
    const show = (value: number | null, baseValue: number | null, format: (v: number) => string, digits: (v: number | null) => string) =>
      [value, digits(value), isBase ? '' : delta(value, baseValue, format)] as const;
    const [r, rText, rDelta] = show(ratio, baseMax, (v) => `${v.toFixed(2)}×`, times);
    const [s, sText, sDelta] = show(variant.sinkRate.all, base.sinkRate.all, (v) => `${(v * 100).toFixed(1)} pt`, percent);
    const [s2, s2Text, s2Delta] = show(variant.sinkRate.fromLayer2, base.sinkRate.fromLayer2, (v) => `${(v * 100).toFixed(1)} pt`, percent);
    const [c, cText, cDelta] = show(
      cos,
      depth2 >= 0 ? base.crossInputCosineP0[depth2] : null,
      (v) => v.toFixed(3),
      (v) => formatNumber(v, 3),
    );
    return h(
      'tr',
      { class: isBase ? 'baseline' : '' },
      h(
        'th',
        { scope: 'row', title: isBase ? 'no head removed' : `removed: ${variant.heads.map((ref) => `layer ${ref.layer} head ${ref.head}`).join(', ')}` },
        isBase ? 'baseline' : `${variant.label}${swMarks(variant.heads)}`,
      ),
      numberCell(`sweep-ratio-${id}`, r, rText, rDelta),
      numberCell(`sweep-rate-${id}`, s, sText, sDelta),
      numberCell(`sweep-rate2-${id}`, s2, s2Text, s2Delta),
      ...(acrossInputs ? [numberCell(`sweep-cos-${id}`, c, cText, cDelta)] : []),
      ...(acrossInputs ? variant.mlpCosineP0 : []).map((value, l) =>
        numberCell(`sweep-mlp${l}-${id}`, value, formatNumber(value, 3), isBase ? '' : delta(value, base.mlpCosineP0[l], (v) => v.toFixed(3))),
      ),
    );
  };
  const table = h(
    'table',
    { class: 'data-table', 'data-testid': 'sweep-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...[
          sweep ? 'head removed' : 'heads removed',
          'max P0 norm ratio',
          'sinkRate[0:]',
          'sinkRate[2:]',
          ...(acrossInputs ? ['cross-input cos P0 (depth 2)', ...base.mlpCosineP0.map((_, l) => `MLP L${l} cos at P0`)] : []),
        ].map((label) => h('th', { scope: 'col' }, label)),
      ),
    ),
    h('tbody', {}, row(base, null), ...doc.variants.map((variant, index) => row(variant, index))),
  );
  const prompts = `${doc.prompts} prompt${doc.prompts === 1 ? '' : 's'}`;
  const explanation = sweep
    ? explain(
        `Each of the ${doc.variants.length} heads of layer ${ablated.layer}${slidingLabel(model, ablated.layer)} removed in turn (its output multiplied by 0), all in one batch, over ${prompts}, against the unablated run; changes in brackets.`,
        `${ABLATION_FINDING} A row that moves far more than the others marks a head that carries more of the circuit on this model.`,
      )
    : explain(
        `${ablated.heads.length === 1 ? 'One head' : `${ablated.heads.length} heads`} selected in the Sink Report's grid (${doc.variants[0]?.label ?? ''}) removed together (their output multiplied by 0), over ${prompts}, against the unablated run; changes in brackets.`,
        ABLATION_FINDING,
      );
  const oneLiner = sweep
    ? "One prompt: the cross-input cosine and MLP clustering columns need two or more (run it on the file's prompts)."
    : `One prompt: the cross-input cosine and MLP clustering need two or more; for those, run sink-lens ablate --prompts FILE --ablate ${ablated.heads.map((ref) => `${ref.layer}:${ref.head}`).join(',')}.`;
  return [
    explanation,
    slidingNote(model) ?? '',
    doc.prompts < 2 ? h('p', { class: 'hint', 'data-testid': 'one-prompt-note' }, oneLiner) : '',
    card(
      sweep ? 'Per head against the baseline' : 'Against the baseline',
      'sweep-heads',
      h('div', { class: 'table-scroll' }, table),
      addBos && doc.prompts > 1
        ? h(
            'p',
            { class: 'hint', 'data-testid': 'bos-cosine-note' },
            "With BOS, position 0 holds the same token in every prompt, so its cross-input cosines start at 1 by construction (the MLP input at P0 too); turn off sinkLens.addBos to measure the first real token, as in the paper's Figure 4.",
          )
        : null,
    ),
    sweep ? sweepChart(doc, ablated.layer, baseMax, theme) : ratioByDepthChart(doc, model, theme),
  ];
}

/** A sweep: the change in P0's largest norm ratio per head removed, as bars. */
function sweepChart(doc: AblationDocument, layer: number, baseMax: number | null, theme: ReturnType<typeof readTheme>): HTMLElement {
  const drops = doc.variants.map((variant) => (maxOf(variant.p0NormRatio) ?? 0) - (baseMax ?? 0));
  return card(
    'Change in max P0 norm ratio per head removed',
    'sweep-chart',
    chartBox(
      barChart(
        `Change in the largest P0 norm ratio when each head of layer ${layer} is removed`,
        doc.variants.map((variant) => variant.label),
        drops,
        'Δ max P0 norm ratio (×)',
        drops.map((d) => (d < 0 ? theme.accent : theme.second)),
      ),
      'bars',
    ),
    h('p', { class: 'hint' }, `Orange: removing the head lowers P0's largest norm ratio (baseline ${times(baseMax)}); blue: raises it.`),
  );
}

/** One set of heads removed: P0's norm ratio at every depth, with and without them (where it changes, not only its maximum). */
function ratioByDepthChart(doc: AblationDocument, model: ModelSummary, theme: ReturnType<typeof readTheme>): HTMLElement {
  const variant = doc.variants[0];
  return card(
    'P0 norm ratio by depth, with and without the heads',
    'ablation-curves',
    chartBox(
      lineChart(
        `P0 norm ratio by depth, unablated and with ${variant?.label ?? 'the heads'} removed`,
        doc.depths.map((d) => depthLabel(model, d)),
        [
          { label: 'unablated', data: doc.baseline.p0NormRatio, color: theme.second, dash: [6, 4] },
          { label: `${variant?.label ?? ''} removed`, data: variant?.p0NormRatio ?? [], color: theme.accent },
        ],
        'P0 norm ratio (‖h₀‖ / median ‖hᵢ‖)',
      ),
    ),
    h('p', { class: 'hint' }, 'A removed head changes the residual stream from its own block on: the curves part at the first depth after the earliest removed head.'),
  );
}
