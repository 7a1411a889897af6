/**
 * The "Sink Analyses" webview: the paper's multi-run analyses, one view per kind.
 *   - with / without BOS: sink rates side by side, both P0 norm-ratio curves on one chart, both
 *     sink grids and both verdicts (Table 1a, Figure 3);
 *   - many prompts: per-prompt sink rates and their mean, a depth x position heat map of the
 *     cross-input cosine with P0 highlighted, P0 separation, the mean P0 state's top dims
 *     (massive activations) and the MLP activations of layers 0-1 at P0 (Figures 4-5);
 *   - head ablation: each head of a layer removed in turn (a sweep), or the heads selected in the
 *     Sink Report's grid removed together, against the baseline;
 *   - first-token substitution: does the sink follow position 0 or the token?
 * Sliding-window layers (model.slidingWindowLayers) are marked wherever layers are listed. The
 * shown analysis is kept with setState, so a restored panel draws it again by itself.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { keepsSink, type AblationDocument, type AblationVariant, type BatchDocument, type BosComparison, type HeadRef, type SubstitutionDocument } from '../../src/protocol/analyses';
import { DEFAULT_EPSILON } from '../../src/protocol/measures';
import type { ModelSummary, SinkReport } from '../../src/protocol/report';
import { describeVerdict } from '../../src/protocol/verdict';
import type { AnalysesWebviewState, AnalysisView, FromAnalysesWebviewMessage, ToAnalysesWebviewMessage } from '../../src/protocol/analysesMessages';
import { formatNumber, h, visibleToken } from '../dom';
import { withAlpha } from '../chart';
import { blend, onThemeChange, readTheme } from '../theme';
import { vsCodeApi } from '../vscodeApi';

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, CategoryScale, Tooltip, Legend);

const vscode = vsCodeApi<FromAnalysesWebviewMessage, AnalysesWebviewState>();

const app = document.getElementById('app')!;
let state: AnalysesWebviewState = { view: null, depth: null, ...(vscode.getState() ?? {}) };
let status: { kind: 'running' | 'error'; text: string } | null = null;
const charts: Chart[] = [];

function setState(patch: Partial<AnalysesWebviewState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
  vscode.postMessage({ type: 'stateChanged', state });
}

// ---- formatting ------------------------------------------------------------------------------

const isNumber = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);
const percent = (value: number | null | undefined) => (isNumber(value) ? `${(value * 100).toFixed(1)} %` : '–');
const times = (value: number | null | undefined) => (isNumber(value) ? `${value.toFixed(2)}×` : '–');
const maxOf = (values: (number | null)[]) => {
  const present = values.filter(isNumber);
  return present.length ? Math.max(...present) : null;
};
function delta(value: number | null | undefined, base: number | null | undefined, format: (v: number) => string): string {
  if (!isNumber(value) || !isNumber(base)) return '';
  const d = value - base;
  if (Math.abs(d) < 5e-7) return ' (±0)';
  return ` (${d > 0 ? '+' : '−'}${format(Math.abs(d))})`;
}
/** A number cell that tests can read exactly (data-value). */
function num(testId: string | undefined, value: number | null | undefined, text: string, extra = ''): HTMLElement {
  return h('td', { 'data-testid': testId, 'data-value': isNumber(value) ? String(value) : '', class: 'num' }, text, extra ? h('span', { class: 'delta' }, extra) : null);
}
const slidingLabel = (model: ModelSummary, layer: number) => (model.slidingWindowLayers.includes(layer) ? ' (sliding window)' : '');
const depthLabel = (model: ModelSummary, depth: number) => {
  const layer = Math.ceil(depth) - 1;
  return depth > 0 && model.slidingWindowLayers.includes(layer) ? `${depth} SW` : String(depth);
};

function card(title: string, id: string, ...children: (Node | string | null | false)[]): HTMLElement {
  return h('section', { class: `card ${id}`, 'aria-labelledby': `${id}-title`, 'data-testid': id }, h('h2', { id: `${id}-title` }, title), ...children);
}

function explain(...sentences: string[]): HTMLElement {
  return h('p', { class: 'explain', 'data-testid': 'explain' }, sentences.join(' '));
}

function slidingNote(model: ModelSummary): HTMLElement | null {
  if (model.slidingWindowLayers.length === 0) return null;
  return h(
    'p',
    { class: 'sliding-note', 'data-testid': 'sliding-note' },
    `Sliding-window layers (marked SW): ${model.slidingWindowLayers.join(', ')}. Their heads see only a recent window, so the paper finds no P0 sink in them.`,
  );
}

function chartBox(canvas: HTMLCanvasElement, className = ''): HTMLElement {
  return h('div', { class: `chart-box ${className}` }, canvas);
}

/** One of the theme's chart colours (--vscode-charts-*), opaque. */
function chartColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(`--vscode-charts-${name}`).trim() || fallback;
  const [r, g, b] = blend(value, value, 0);
  return `rgb(${r}, ${g}, ${b})`;
}

function gridColor(): string {
  return withAlpha(readTheme().grid, 0.5);
}

/** Background for a value in [0, 1] (0: editor background, 1: accent), and a readable text colour. */
function shade(cell: HTMLElement, t: number, color = readTheme().accent): void {
  const theme = readTheme();
  const clamped = Math.max(0, Math.min(1, t));
  // Squared, so that the high values (a converged P0, a sink) stand out from the middling ones.
  const [r, g, b] = blend(theme.background, color, 0.06 + 0.94 * clamped * clamped);
  cell.style.setProperty('background-color', `rgb(${r}, ${g}, ${b})`);
  cell.style.setProperty('color', 0.299 * r + 0.587 * g + 0.114 * b < 140 ? '#ffffff' : '#1e1e1e');
}

/** Layer x head sink scores, shaded from the uniform baseline to 1; sinks (> ε) in bold; SW layers marked. */
function sinkGrid(report: SinkReport, testId: string): HTMLElement {
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
            shade(cell, (score - base) / Math.max(1e-6, 1 - base));
            return cell;
          }),
        ),
      ),
    ),
  );
}

const DEPTH_AXIS = 'depth (0 = embeddings; l + 0.5 = after attention of block l; SW = sliding-window layer)';

function lineChart(label: string, labels: string[], datasets: { label: string; data: (number | null)[]; color: string; dash?: number[] }[], yTitle: string, xTitle = DEPTH_AXIS): HTMLCanvasElement {
  const theme = readTheme();
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  charts.push(
    new Chart(canvas, {
      type: 'line',
      data: {
        labels,
        datasets: datasets.map((set) => ({ label: set.label, data: set.data, borderColor: set.color, backgroundColor: set.color, borderDash: set.dash, borderWidth: 2.5, pointRadius: 3, spanGaps: true })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: xTitle, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: gridColor() } },
          y: { beginAtZero: true, title: { display: true, text: yTitle, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: gridColor() } },
        },
        plugins: { legend: { labels: { color: theme.foreground, boxHeight: 6 } } },
      },
    }),
  );
  return canvas;
}

function barChart(label: string, labels: string[], values: number[], yTitle: string, colors?: string[]): HTMLCanvasElement {
  const theme = readTheme();
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  charts.push(
    new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: yTitle, data: values, backgroundColor: colors ?? theme.accent, borderWidth: 0 }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { ticks: { color: theme.muted }, grid: { display: false } },
          y: { title: { display: true, text: yTitle, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: gridColor() } },
        },
        plugins: { legend: { display: false } },
      },
    }),
  );
  return canvas;
}

// ---- with / without BOS ------------------------------------------------------------------------

function bosView(doc: BosComparison, model: ModelSummary): (HTMLElement | string)[] {
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
          ? h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num first-token' }, visibleToken(withBos.tokens[0]?.text ?? '')), h('td', { class: 'num first-token' }, visibleToken(withoutBos.tokens[0]?.text ?? '')))
          : h('tr', {}, h('th', { scope: 'row' }, label), num(`bos-${key}-with`, a, format(a)), num(`bos-${key}-without`, b, format(b))),
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
      card('Sink rates', 'bos-rates', table, h('p', { class: 'hint' }, `Share of heads that put more than ε = ${withBos.attention.sinkRate.epsilon} of their attention on position 0; [2:] counts layers 2 and above only.`)),
      card(
        'P0 norm ratio by depth',
        'bos-curves',
        chartBox(
          lineChart('P0 norm ratio by depth, with and without BOS', depths.map((d) => depthLabel(model, d)), [
            { label: 'with BOS', data: withBos.residual.p0NormRatio, color: theme.accent },
            { label: 'without BOS', data: withoutBos.residual.p0NormRatio, color: theme.second, dash: [6, 4] },
          ], 'P0 norm ratio (‖h₀‖ / median ‖hᵢ‖)'),
        ),
      ),
    ),
    h('div', { class: 'two-columns' }, card('Verdict with BOS', 'bos-verdict-with', verdict(withBos, 'verdict-with', '')), card('Verdict without BOS', 'bos-verdict-without', verdict(withoutBos, 'verdict-without', ''))),
    h(
      'div',
      { class: 'two-columns' },
      card('Sink scores with BOS (layer × head)', 'bos-grid-with', sinkGrid(withBos, 'grid-with')),
      card('Sink scores without BOS (layer × head)', 'bos-grid-without', sinkGrid(withoutBos, 'grid-without')),
    ),
  ];
}

// ---- many prompts ------------------------------------------------------------------------------

function batchView(doc: BatchDocument, model: ModelSummary): (HTMLElement | string)[] {
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
          num(undefined, prompt.tokens, String(prompt.tokens)),
          num(`batch-rate-${index}`, prompt.sinkRate.all, percent(prompt.sinkRate.all)),
          num(undefined, prompt.sinkRate.fromLayer2, percent(prompt.sinkRate.fromLayer2)),
          num(undefined, maxOf(prompt.p0NormRatio), times(maxOf(prompt.p0NormRatio))),
        ),
      ),
    ),
    h(
      'tfoot',
      {},
      h('tr', {}, h('th', { scope: 'row', colspan: 3 }, `mean of ${doc.prompts.length} per-prompt rates`), num('batch-mean-rate', doc.sinkRate.all, percent(doc.sinkRate.all)), num('batch-mean-rate-2', doc.sinkRate.fromLayer2, percent(doc.sinkRate.fromLayer2)), h('td', {}, '')),
    ),
  );

  // Depth x position heat map of the cross-input cosine, P0 highlighted, P0 separation on the right.
  const { depths, positions, values } = doc.crossInputCosine;
  const heat = h(
    'table',
    { class: 'grid-table cosine-grid', 'data-testid': 'batch-cosine' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'depth'), ...positions.map((p) => h('th', { scope: 'col', class: p === 0 ? 'p0' : '' }, p === 0 ? 'P0' : `P${p}`)), h('th', { scope: 'col', class: 'separated' }, 'P0 separation'))),
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
            const cell = h('td', { class: `num${p === 0 ? ' p0' : ''}`, 'data-testid': `cos-${d}-${p}`, 'data-value': isNumber(value) ? String(value) : '', title: `depth ${depth}, position ${p}: mean cosine across prompt pairs ${formatNumber(value, 4)}` }, formatNumber(value, 2));
            if (isNumber(value)) shade(cell, Math.max(0, value));
            return cell;
          }),
          num(`sep-${d}`, doc.p0Separation[d], formatNumber(doc.p0Separation[d], 2)),
        ),
      ),
    ),
  );
  const oneInput = doc.prompts.length < 2;

  // Mean P0 hidden state: top dims at the chosen depth.
  const chosen = state.depth !== null && doc.meanP0Hidden.some((entry) => entry.depth === state.depth)
    ? state.depth
    : doc.firstMassiveDepth ?? doc.meanP0Hidden[doc.meanP0Hidden.length - 1]?.depth ?? 0;
  const entry = doc.meanP0Hidden.find((item) => item.depth === chosen) ?? doc.meanP0Hidden[0];
  const select = h('select', { id: 'depth-select', 'data-testid': 'depth-select' }) as HTMLSelectElement;
  for (const item of doc.meanP0Hidden) {
    const option = h('option', { value: String(item.depth) }, `depth ${depthLabel(model, item.depth)}${item.massive ? ' (massive)' : ''}`) as HTMLOptionElement;
    option.selected = item.depth === entry?.depth;
    select.append(option);
  }
  select.addEventListener('change', () => {
    setState({ depth: Number(select.value) });
    render();
  });
  const massiveCard = card(
    'Mean P0 hidden state: top dims',
    'batch-massive',
    h('p', { class: 'hint' }, 'The dims of largest magnitude in position 0\'s hidden state averaged over the prompts. Massive: |value| > 100 and at least 1000× the median magnitude (Sun et al.).'),
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
          barChart(`Top dims of the mean P0 state at depth ${entry.depth}`, entry.top.map((dim) => `dim ${dim.dim}`), entry.top.map((dim) => dim.value), 'value', entry.top.map(() => (entry.massive ? theme.accent : theme.second))),
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
          num(`mlp-cos-${layer.layer}`, layer.crossInputCosineP0, formatNumber(layer.crossInputCosineP0, 3)),
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
        h('p', { class: 'hint' }, 'Cells: mean cosine of the hidden states at that position over all pairs of prompts (1 = the same direction for every input). P0 (outlined) is the first position. P0 separation: mean cosine of P0 to the other positions of the same prompt (low = P0 set apart).'),
      ),
      massiveCard,
    ),
    card('MLP activations of layers 0 and 1 at P0', 'batch-mlp-card', mlp, h('p', { class: 'hint' }, 'The input of the down-projection at position 0, compared across prompts.')),
  ];
}

// ---- head ablation: a layer's sweep, or the heads selected in the report's grid -------------------

/** What was ablated: each head of one layer in turn (sweepLayer), or a set of heads together (ablateHeads). */
type Ablated = { layer: number } | { heads: HeadRef[] };

/** docs/ANALYSES.md, headAblation: what the paper found, for both ablation views. */
const ABLATION_FINDING =
  "The paper found that removing single layer-0 heads does not take away P0's distinctness (the heads act together), and that subtracting one head's contribution (LLaMA3.1-8B layer 0, head 29) makes P0 cluster in the MLP intermediate states.";

function ablationView(doc: AblationDocument, model: ModelSummary, ablated: Ablated, addBos: boolean): (HTMLElement | string)[] {
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
    const [c, cText, cDelta] = show(cos, depth2 >= 0 ? base.crossInputCosineP0[depth2] : null, (v) => v.toFixed(3), (v) => formatNumber(v, 3));
    return h(
      'tr',
      { class: isBase ? 'baseline' : '' },
      h('th', { scope: 'row', title: isBase ? 'no head removed' : `removed: ${variant.heads.map((ref) => `layer ${ref.layer} head ${ref.head}`).join(', ')}` }, isBase ? 'baseline' : `${variant.label}${swMarks(variant.heads)}`),
      num(`sweep-ratio-${id}`, r, rText, rDelta),
      num(`sweep-rate-${id}`, s, sText, sDelta),
      num(`sweep-rate2-${id}`, s2, s2Text, s2Delta),
      ...(acrossInputs ? [num(`sweep-cos-${id}`, c, cText, cDelta)] : []),
      ...(acrossInputs ? variant.mlpCosineP0 : []).map((value, l) => num(`sweep-mlp${l}-${id}`, value, formatNumber(value, 3), isBase ? '' : delta(value, base.mlpCosineP0[l], (v) => v.toFixed(3)))),
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
        ...[sweep ? 'head removed' : 'heads removed', 'max P0 norm ratio', 'sinkRate[0:]', 'sinkRate[2:]', ...(acrossInputs ? ['cross-input cos P0 (depth 2)', ...base.mlpCosineP0.map((_, l) => `MLP L${l} cos at P0`)] : [])].map((label) => h('th', { scope: 'col' }, label)),
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
        ? h('p', { class: 'hint', 'data-testid': 'bos-cosine-note' }, 'With BOS, position 0 holds the same token in every prompt, so its cross-input cosines start at 1 by construction (the MLP input at P0 too); turn off sinkLens.addBos to measure the first real token, as in the paper\'s Figure 4.')
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
    chartBox(barChart(`Change in the largest P0 norm ratio when each head of layer ${layer} is removed`, doc.variants.map((variant) => variant.label), drops, 'Δ max P0 norm ratio (×)', drops.map((d) => (d < 0 ? theme.accent : theme.second))), 'bars'),
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
      lineChart(`P0 norm ratio by depth, unablated and with ${variant?.label ?? 'the heads'} removed`, doc.depths.map((d) => depthLabel(model, d)), [
        { label: 'unablated', data: doc.baseline.p0NormRatio, color: theme.second, dash: [6, 4] },
        { label: `${variant?.label ?? ''} removed`, data: variant?.p0NormRatio ?? [], color: theme.accent },
      ], 'P0 norm ratio (‖h₀‖ / median ‖hᵢ‖)'),
    ),
    h('p', { class: 'hint' }, 'A removed head changes the residual stream from its own block on: the curves part at the first depth after the earliest removed head.'),
  );
}

// ---- first-token substitution --------------------------------------------------------------

function substitutionView(doc: SubstitutionDocument, model: ModelSummary): (HTMLElement | string)[] {
  const theme = readTheme();
  const original = doc.variants[0];
  // The engine's rule (src/protocol/analyses.ts), with the ε the variants were measured with.
  const epsilon = original.sinkRate.epsilon ?? DEFAULT_EPSILON;
  const keeps = (strength: number) => keepsSink(strength, original.sinkStrength, epsilon, doc.uniformBaseline);
  const table = h(
    'table',
    { class: 'data-table', 'data-testid': 'sub-table' },
    h('thead', {}, h('tr', {}, ...['variant', 'token at position 0', 'id', 'sink strength', 'sinkRate[0:]', 'sinkRate[2:]', 'keeps the sink?'].map((label) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      ...doc.variants.map((variant, index) =>
        h(
          'tr',
          { 'data-testid': `sub-row-${index}` },
          h('th', { scope: 'row' }, variant.label),
          h('td', { class: 'first-token', 'data-testid': `sub-token-${index}` }, visibleToken(variant.firstTokenText)),
          num(undefined, variant.firstTokenId, String(variant.firstTokenId)),
          num(`sub-strength-${index}`, variant.sinkStrength, variant.sinkStrength.toFixed(3)),
          num(`sub-rate-${index}`, variant.sinkRate.all, percent(variant.sinkRate.all)),
          num(`sub-rate2-${index}`, variant.sinkRate.fromLayer2, percent(variant.sinkRate.fromLayer2)),
          h('td', {}, index === 0 ? '(reference)' : keeps(variant.sinkStrength) ? 'yes' : 'no'),
        ),
      ),
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
      h('p', { class: 'hint' }, `A replacement keeps the sink when its strength is at least half the original's (${(0.5 * original.sinkStrength).toFixed(3)}), above ε (${epsilon}) and above twice the uniform share (2 × ${doc.uniformBaseline.toFixed(3)}).`),
    ),
    h(
      'div',
      { class: 'two-columns' },
      card('Variants', 'sub-variants', table),
      card(
        'Mean attention to position 0 per layer',
        'sub-layers',
        chartBox(
          (() => {
            const canvas = lineChart('Mean sink score per layer for each first token', layers, doc.variants.map((variant, i) => ({ label: `${variant.label} (${visibleToken(variant.firstTokenText)})`, data: variant.meanSinkScore, color: palette[i % palette.length], dash: i === 0 ? undefined : [5, 3] })), 'mean sink score', 'layer (SW = sliding-window layer)');
            return canvas;
          })(),
        ),
      ),
    ),
  ];
}

// ---- page ------------------------------------------------------------------------------------

function render(): void {
  for (const chart of charts.splice(0)) chart.destroy();
  const view = state.view;
  if (!view) {
    document.body.dataset.analysisState = status?.kind ?? 'empty';
    app.replaceChildren(
      status
        ? h('p', { class: status.kind === 'error' ? 'error' : 'progress', 'data-testid': 'analysis-status' }, status.text)
        : h('p', { class: 'placeholder' }, 'Run Sink Lens: Compare Without BOS, Analyze Prompts in File / Selection, Ablate Each Head of Layer… or First-Token Substitution, or select heads in the Sink Report\'s grid and Ablate Selected Heads.'),
    );
    return;
  }
  const { result } = view;
  const model = result.model;
  document.body.dataset.analysisState = status?.kind ?? 'done';
  document.body.dataset.analysisKind = result.kind;
  let body: (HTMLElement | string)[];
  switch (result.kind) {
    case 'compareBos':
      body = bosView(result.document, model);
      break;
    case 'batch':
      body = batchView(result.document, model);
      break;
    case 'sweepLayer':
      body = ablationView(result.document, model, { layer: result.layer }, view.addBos ?? true);
      break;
    case 'ablateHeads':
      body = ablationView(result.document, model, { heads: result.heads }, view.addBos ?? true);
      break;
    case 'substitute':
      body = substitutionView(result.document, model);
      break;
  }
  const promptLine = view.prompts.length === 1 ? `“${view.prompts[0].length > 90 ? `${view.prompts[0].slice(0, 89)}…` : view.prompts[0]}”` : `${view.prompts.length} prompts`;
  app.replaceChildren(
    h(
      'header',
      { class: 'analyses-header' },
      h('h1', {}, `Sink analysis: ${view.title}`),
      h(
        'p',
        { class: 'meta', 'data-testid': 'analysis-meta' },
        h('strong', {}, model.path.split(/[\\/]/).filter(Boolean).slice(-1)[0] ?? model.path),
        ` · ${model.architecture} · ${model.layers} layers × ${model.heads} heads · ${promptLine} · ${view.origin}`,
      ),
      status ? h('p', { class: status.kind === 'error' ? 'error' : 'progress', 'data-testid': 'analysis-status' }, status.text) : null,
    ),
    ...body,
  );
}

window.addEventListener('message', (event: MessageEvent<ToAnalysesWebviewMessage>) => {
  const message = event.data;
  switch (message.type) {
    case 'running':
      status = { kind: 'running', text: `Running: ${message.title}…` };
      render();
      break;
    case 'analysis':
      status = null;
      setState({ view: message.view, depth: state.view?.id === message.view.id ? state.depth : null });
      render();
      break;
    case 'analysisError':
      status = { kind: 'error', text: message.message };
      render();
      break;
  }
});

onThemeChange(() => render());

render();
vscode.postMessage({ type: 'ready', state: vscode.getState() ?? null });
