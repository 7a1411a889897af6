/**
 * First-token substitution: does the sink follow position 0 or the token there? The variants'
 * strengths and sink rates, whether each keeps the sink and which of the rule's conditions decided it
 * (the engine's rule, src/protocol/analyses.ts), and the engine's finding, with the mean attention to position 0 per layer for each first token.
 */
import { keepsSinkReason, type SubstitutionDocument } from '../../src/protocol/analyses';
import { DEFAULT_EPSILON } from '../../src/protocol/measures';
import type { ModelSummary } from '../../src/protocol/report';
import { displayToken } from '../../src/protocol/tokenText';
import { card, chartBox, explain, numberCell } from '../kit/cards';
import { chartColor } from '../kit/chart';
import { h } from '../kit/dom';
import { percent } from '../kit/format';
import { readTheme } from '../kit/theme';
import { lineChart } from './analysisCharts';
import { slidingNote } from './labels';

export function substitutionView(doc: SubstitutionDocument, model: ModelSummary): (HTMLElement | string)[] {
  const theme = readTheme();
  const original = doc.variants[0];
  // The engine's rule (src/protocol/analyses.ts), with the ε the variants were measured with.
  const epsilon = original.sinkRate.epsilon ?? DEFAULT_EPSILON;
  const rule = (strength: number) => keepsSinkReason(strength, original.sinkStrength, epsilon, doc.uniformBaseline);
  // Five columns that fit a 620 px panel: the token and its id go under the variant's name, the
  // rule's reason wraps under its answer.
  const table = h(
    'table',
    { class: 'data-table sub-table', 'data-testid': 'sub-table' },
    h('thead', {}, h('tr', {}, ...['variant: token at position 0', 'sink strength', 'sinkRate [0:]', 'sinkRate [2:]', 'keeps the sink?'].map((label) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      ...doc.variants.map((variant, index) => {
        const decided = rule(variant.sinkStrength);
        return h(
          'tr',
          { 'data-testid': `sub-row-${index}` },
          h(
            'th',
            { scope: 'row' },
            variant.label,
            h('br'),
            h('span', { class: 'first-token', 'data-testid': `sub-token-${index}` }, displayToken(variant.firstTokenText)),
            h('span', { class: 'token-id' }, ` · id ${variant.firstTokenId}`),
          ),
          numberCell(`sub-strength-${index}`, variant.sinkStrength, variant.sinkStrength.toFixed(3)),
          numberCell(`sub-rate-${index}`, variant.sinkRate.all, percent(variant.sinkRate.all)),
          numberCell(`sub-rate2-${index}`, variant.sinkRate.fromLayer2, percent(variant.sinkRate.fromLayer2)),
          index === 0
            ? h('td', { class: 'keeps' }, '(reference)')
            : h(
                'td',
                { class: 'keeps', 'data-testid': `sub-keeps-${index}`, 'data-keeps': String(decided.keeps) },
                h('strong', {}, decided.keeps ? 'yes' : 'no'),
                h('span', { class: 'reason', 'data-testid': `sub-reason-${index}` }, ` — ${decided.reason}`),
              ),
        );
      }),
    ),
  );
  const findings: Record<SubstitutionDocument['finding'], string> = {
    'follows-position': 'The sink follows position 0',
    'follows-token': 'The sink follows the token, not position 0',
    mixed: 'Mixed: the sink depends partly on the token at position 0',
    'no-sink': 'No sink to follow',
  };
  const layers = original.meanSinkScore.map((_, l) => `L${l}${model.slidingWindowLayers.includes(l) ? ' SW' : ''}`);
  const palette = [theme.accent, theme.second, chartColor('green', '#388a34'), chartColor('purple', '#652d90'), chartColor('yellow', '#bf8803'), chartColor('red', '#e51400')];
  return [
    explain(
      "The prompt's first token replaced by other tokens (the next token repeated, a fixed random token, punctuation), all in one batch. Sink strength: mean attention to position 0 over layers ≥ 1.",
      'The paper argues that the sink forms at position 0 "without relying on any semantic information": if so, it stays whatever token is first. If it vanishes, this model\'s sink belongs to that particular token (for example a learned BOS feature), not to the position.',
    ),
    slidingNote(model) ?? '',
    card(
      'Finding',
      'sub-finding',
      h('p', { class: 'headline', 'data-testid': 'sub-finding-headline', 'data-finding': doc.finding }, findings[doc.finding]),
      h('p', { 'data-testid': 'sub-explanation' }, doc.explanation),
      h(
        'p',
        { class: 'hint' },
        `A replacement keeps the sink when its strength is at least half the original's (${(0.5 * original.sinkStrength).toFixed(3)}), above ε (${epsilon}) and above twice the uniform share (2 × ${doc.uniformBaseline.toFixed(3)}). It compares strength, not the sink rate: a variant can keep as many heads above ε as the original and still lose more than half of the strength.`,
      ),
    ),
    h(
      'div',
      { class: 'two-columns' },
      card('Variants', 'sub-variants', h('div', { class: 'table-scroll' }, table)),
      card(
        'Mean attention to position 0 per layer',
        'sub-layers',
        chartBox(
          (() => {
            const canvas = lineChart(
              'Mean sink score per layer for each first token',
              layers,
              doc.variants.map((variant, i) => ({
                label: `${variant.label} (${displayToken(variant.firstTokenText)})`,
                data: variant.meanSinkScore,
                color: palette[i % palette.length],
                dash: i === 0 ? undefined : [5, 3],
              })),
              'mean sink score',
              'layer (SW = sliding-window layer)',
            );
            return canvas;
          })(),
        ),
      ),
    ),
  ];
}
