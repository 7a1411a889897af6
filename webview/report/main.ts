/**
 * The Sink Report webview. Receives a run in parts (summary → layers → attention received → end),
 * paints what it has as soon as it has it, and asks the host for one layer's full attention maps
 * only when the user opens that layer. Heads selected in the sink grid can be ablated together
 * ("Ablate Selected Heads"): the host reruns the prompt without them and shows the comparison in
 * the Sink Analyses panel. State (which run, layer, head, token, selected heads) is kept with
 * setState so the panel comes back as it was after a reload. The body's data-run-state says where
 * the run shown is: streaming, done, cancelled or error (the UI tests wait on it). The page's
 * sections are the modules beside this one; this file wires them to the run and to the host.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { HeadRef } from '../../src/protocol/analyses';
import { reportHostChecks, reportWebviewChecks, type ReportHostSide, type ReportWebviewSide, type ReportWebviewState } from '../../src/protocol/channels/report';
import type { CsvTable } from '../../src/protocol/reportCsv';
import type { RunSummary } from '../../src/protocol/runParts';
import { buttonRow, card } from '../kit/cards';
import { button, h } from '../kit/dom';
import { formatNumber, percent } from '../kit/format';
import { connectToHost } from '../kit/messageClient';
import { onThemeChange } from '../kit/theme';
import { AblationControls } from './ablationControls';
import { AttentionMapSection } from './attentionMapSection';
import { csvOf, csvName, jsonName, pngName } from './exports';
import { glossary } from './glossary';
import { MlpSection } from './mlpSection';
import { NormsChart, normSeries } from './normsChart';
import { meanReceived, newRunView, progressText, type RunView } from './runView';
import { SinkGrid } from './sinkGrid';
import { tokenDetails } from './tokenDetails';
import { TokenStrip } from './tokenStrip';

const { host, getState, setState: keepState } = connectToHost<ReportWebviewSide, ReportHostSide, ReportWebviewState>({ webview: reportWebviewChecks, host: reportHostChecks });

const app = document.getElementById('app')!;
let state: ReportWebviewState = { runId: null, layer: 0, head: -1, focusedToken: null, mapOpen: false, selectedHeads: [], ...(getState() ?? {}) };
let run: RunView | null = null;

function setState(patch: Partial<ReportWebviewState>): void {
  state = { ...state, ...patch };
  keepState(state);
  host.notify('stateChanged', { state });
}

// ---- the parts of the page -----------------------------------------------------------------

const progressLine = h('p', { class: 'progress', 'data-testid': 'progress', 'aria-live': 'polite' });
const tokenDetailsBox = h('div', { class: 'token-details', 'data-testid': 'token-details' });
const normsChart = new NormsChart();
const tokenStrip = new TokenStrip((token) => focusToken(token));
const sinkGrid = new SinkGrid({ open: (layer, head) => map.open(layer, head), selectionChanged: (heads) => onSelectionChanged(heads) });
const ablation = new AblationControls(
  sinkGrid,
  () => run?.done ?? false,
  (heads) => (run ? host.request('ablateHeads', { runId: run.summary.runId, heads }) : Promise.resolve(null)),
);
const mlp = new MlpSection({ png: () => exportPng('mlp-norms', mlp.chart.toPng()), csv: () => exportCsv('mlpNorms') });
const map = new AttentionMapSection(
  () => run,
  () => state.focusedToken,
  {
    fetch: (runId, layer, head) => host.request('attentionMap', { runId, layer, head }),
    opened: (layer, head) => {
      setState({ layer, head, mapOpen: true });
      sinkGrid.show(layer, head);
    },
    exportPng: () => exportPng('attention-map', map.heatmap.toPng()),
  },
);

// ---- rendering -----------------------------------------------------------------------------

function renderRun(view: RunView): void {
  const { summary } = view;
  const model = summary.model;
  tokenStrip.setTokens(summary.tokens);
  map.heatmap.setTokens(summary.tokens.map((token) => token.text));
  normsChart.set(normSeries(summary.depths, summary.norms));
  sinkGrid.set({ sinkScore: summary.sinkScore, epsilon: summary.sinkRate.epsilon, uniformBaseline: summary.uniformBaseline });
  const tokens = card(
    'Tokens',
    'tokens',
    h('p', { class: 'hint' }, 'Shaded by the attention each token receives (mean over layers and heads). Click one to see its numbers.'),
    tokenStrip.element,
    tokenDetailsBox,
  );
  const norms = card(
    'Hidden-state norm by depth',
    'norms',
    h('p', { class: 'hint' }, 'Position 0 (P0) against the other positions. The P0 Sink Circuit predicts P0 jumps to a high norm within two blocks.'),
    h('div', { class: 'chart-box' }, normsChart.canvas),
    h('p', { class: 'ratios', 'data-testid': 'p0-ratios' }, `P0 / median of others: ${summary.p0NormRatio.map((ratio, i) => `${summary.depths[i]}: ${formatNumber(ratio, 2)}`).join(' · ')}`),
    buttonRow(
      button('PNG', () => exportPng('norms', normsChart.toPng()), { secondary: true, testId: 'export-norms-png', title: 'Save this chart as a PNG image' }),
      button('CSV', () => exportCsv('norms'), { secondary: true, testId: 'export-norms-csv', title: 'Save the norms table as CSV' }),
    ),
  );
  const grid = card(
    'Sink score by layer and head',
    'grid',
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'swatch sink' }),
      ` outlined: above ε = ${summary.sinkRate.epsilon} (a sink) · `,
      h('span', { class: 'swatch weak' }),
      ` faded: at most twice the uniform baseline ${formatNumber(summary.uniformBaseline, 3)}`,
    ),
    sinkGrid.element,
    h('p', { class: 'rates', 'data-testid': 'sink-rate' }, `Sink rate: ${percent(summary.sinkRate.all)} of heads (all layers), ${percent(summary.sinkRate.fromLayer2)} from layer 2 on.`),
    buttonRow(
      button('PNG', () => exportPng('sink-grid', sinkGrid.toPng()), { secondary: true, testId: 'export-grid-png', title: 'Save the grid as a PNG image' }),
      button('CSV', () => exportCsv('sinkScores'), { secondary: true, testId: 'export-grid-csv', title: 'Save the sink scores as CSV' }),
    ),
    ablation.element(),
  );
  sinkGrid.setSelection(state.selectedHeads ?? [], false);
  ablation.showSelection(sinkGrid.selectedHeads());
  const mlpCard = card(
    'MLP activation norm per position, layers 0 and 1',
    'mlp',
    h(
      'p',
      { class: 'hint' },
      "The norm of each position's MLP intermediate activation (the input of the down-projection) in the first two blocks. The paper found that in the P0 Sink Circuit these MLPs produce a massive activation at position 0 only: P0's distinct attention output is amplified into the high-norm state that later heads sink onto (Figure 5).",
    ),
    mlp.body,
  );
  const mapCard = card(
    'Attention map',
    'map',
    h('p', { class: 'hint' }, 'Rows are queries, columns are keys; the left column is attention to position 0. Computed on demand for one layer.'),
    map.setModel(model.layers, model.heads, state.layer, state.head),
    map.status,
    map.heatmap.element,
  );
  app.replaceChildren(header(summary), progressLine, verdict(summary), tokens, h('div', { class: 'two-columns' }, norms, grid), mlpCard, mapCard, glossary());
  updateProgress();
  updateReceived();
  mlp.update(view);
}

function header(summary: RunSummary): HTMLElement {
  const { model, runtime } = summary;
  const modelName = model.path.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
  const meta = h(
    'p',
    { class: 'meta', 'data-testid': 'meta' },
    `${modelName} · ${model.architecture} · ${model.layers} layers × ${model.heads} heads · ${summary.tokens.length} tokens · ran on `,
    h('strong', { 'data-testid': 'device', title: runtime.fallbackReason ? `CUDA not used: ${runtime.fallbackReason}` : undefined }, runtime.executionProvider.toUpperCase()),
    runtime.fallbackReason ? h('span', { class: 'fallback', title: runtime.fallbackReason }, ' (CUDA unavailable)') : '',
  );
  const promptText = summary.prompt.text ?? '(token ids)';
  const prompt = h('blockquote', { class: 'prompt', 'data-testid': 'prompt' }, promptText.length > 400 ? `${promptText.slice(0, 400)}…` : promptText);
  return h(
    'header',
    { class: 'header' },
    h('div', {}, h('h1', {}, 'Sink Report'), meta, prompt),
    h(
      'div',
      { class: 'actions' },
      button('Re-run', () => host.notify('command', { command: 'rerun' }), { secondary: true }),
      button('Report JSON', () => run && exportFile('json', jsonName(run)), { secondary: true, testId: 'export-json' }),
      button('Select Model…', () => host.notify('command', { command: 'selectModel' }), { secondary: true }),
    ),
  );
}

/** The verdict in words, as the worker wrote it (src/protocol/verdict.ts), and the run's warnings. */
function verdict(summary: RunSummary): HTMLElement {
  return card(
    'Verdict',
    'verdict',
    h('p', { class: 'headline', 'data-testid': 'verdict-headline' }, summary.verdict.headline),
    h('ul', {}, ...summary.verdict.details.map((detail) => h('li', {}, detail))),
    h('p', { class: 'hint' }, h('a', { href: '#glossary' }, 'What do these numbers mean?')),
    ...summary.warnings.map((warning) => h('p', { class: 'warning' }, `⚠ ${warning.message}`)),
  );
}

function updateProgress(): void {
  if (!run) return;
  progressLine.textContent = progressText(run);
  progressLine.classList.toggle('done', run.done);
}

function updateReceived(): void {
  if (!run) return;
  const mean = meanReceived(run);
  tokenStrip.setReceived(mean);
  if (mean && state.focusedToken !== null) renderTokenDetails(state.focusedToken);
}

function focusToken(token: number): void {
  setState({ focusedToken: token });
  tokenStrip.focus(token);
  map.heatmap.focusToken(token);
  renderTokenDetails(token);
}

function renderTokenDetails(index: number): void {
  if (!run) return;
  const runId = run.summary.runId;
  const details = tokenDetails(run, index, () => host.notify('revealToken', { runId, token: index }));
  if (details) tokenDetailsBox.replaceChildren(...details);
}

function onSelectionChanged(heads: HeadRef[]): void {
  setState({ selectedHeads: heads });
  ablation.showSelection(heads);
}

// ---- exports: the host asks where to save, and answers with the path ------------------------

function exportFile(kind: 'png' | 'json' | 'csv', name: string, data?: string): void {
  host.request('export', { kind, name, ...(data !== undefined ? { data } : {}) }).then(
    ({ path }) => path && (progressLine.textContent = `Saved ${path}`),
    (error: Error) => (progressLine.textContent = `Could not save: ${error.message}`),
  );
}

function exportPng(part: string, dataUrl: string | null): void {
  if (run && dataUrl) exportFile('png', pngName(run, part), dataUrl);
}

function exportCsv(table: CsvTable): void {
  if (run) exportFile('csv', csvName(run, table), csvOf(run, table));
}

// ---- the run, as the host streams it ---------------------------------------------------------

function showError(runId: string | null, error: { category: string; message: string }): void {
  if (run && runId !== run.summary.runId && runId !== null) return;
  const cancelled = error.category === 'cancelled';
  // A cancelled run needs no other model or settings: no buttons for them.
  const box = h(
    'div',
    { class: 'error', role: 'alert', 'data-testid': 'error' },
    h('p', {}, cancelled ? 'The analysis was cancelled.' : `The analysis failed: ${error.message}`),
    cancelled
      ? null
      : buttonRow(
          button('Select Model…', () => host.notify('command', { command: 'selectModel' })),
          button('Open Settings', () => host.notify('command', { command: 'openSettings' }), { secondary: true }),
        ),
  );
  if (run) progressLine.replaceChildren(box);
  else app.replaceChildren(box);
  document.body.dataset.runState = cancelled ? 'cancelled' : 'error';
}

host.listen({
  runBegin: (summary) => {
    const isNewRun = state.runId !== summary.runId;
    run = newRunView(summary);
    map.clear();
    if (isNewRun) ablation.newRun();
    if (isNewRun) setState({ runId: summary.runId, focusedToken: null, layer: Math.min(state.layer, summary.model.layers - 1), head: Math.min(state.head, summary.model.heads - 1) });
    renderRun(run);
    if (state.mapOpen) map.open(state.layer, state.head);
    document.body.dataset.runState = 'streaming';
  },
  runLayer: (layer) => {
    if (!run || layer.runId !== run.summary.runId) return;
    run.layers.set(layer.layer, layer);
    updateProgress();
    if (layer.layer < 2) mlp.update(run);
  },
  runReceived: ({ runId, layer, received }) => {
    if (!run || runId !== run.summary.runId) return;
    run.received[layer] = received;
    updateReceived();
    updateProgress();
  },
  runEnd: ({ runId }) => {
    if (!run || runId !== run.summary.runId) return;
    run.done = true;
    updateProgress();
    mlp.update(run);
    ablation.showSelection(sinkGrid.selectedHeads());
    document.body.dataset.runState = 'done';
  },
  runError: ({ runId, error }) => showError(runId, error),
  focus: ({ runId, layer, head, token }) => {
    if (!run || runId !== run.summary.runId) return;
    if (layer !== undefined) map.open(layer, head ?? state.head);
    if (token !== undefined) {
      focusToken(token);
      tokenStrip.element.scrollIntoView({ block: 'nearest' });
    }
  },
});

onThemeChange(() => {
  normsChart.render();
  mlp.chart.render();
  map.heatmap.rebuild();
});

keepState(state);
host.notify('ready', { state: state.runId ? state : null });
