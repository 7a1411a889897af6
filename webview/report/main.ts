/**
 * The Sink Report webview. Receives a run in parts (summary → layers → attention received → end),
 * paints what it has as soon as it has it, and asks the host for one layer's full attention maps
 * only when the user opens that layer. Heads selected in the sink grid can be ablated together
 * ("Ablate Selected Heads"): the host reruns the prompt without them and shows the comparison in
 * the Sink Analyses panel. State (which run, layer, head, token, selected heads) is kept with
 * setState so the panel comes back as it was after a reload. The body's data-run-state says where
 * the run shown is: streaming, done, cancelled or error (the UI tests wait on it).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { headLabel, type HeadRef } from '../../src/protocol/analyses';
import { DEFAULT_EPSILON } from '../../src/protocol/measures';
import type { AttentionMapPayload, RunLayer, RunSummary } from '../../src/protocol/runParts';
import type { ExportKind, FromWebviewMessage, ToWebviewMessage, WebviewState } from '../../src/protocol/reportMessages';
import { type CsvTable, reportCsv } from '../../src/protocol/reportCsv';
import { displayToken } from '../../src/protocol/tokenText';
import { button, h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import { Heatmap } from './heatmap';
import { MlpChart } from './mlpChart';
import { NormsChart, normSeries } from './normsChart';
import { SinkGrid } from './sinkGrid';
import { onThemeChange } from '../kit/theme';
import { TokenStrip } from './tokenStrip';
import { vsCodeApi } from '../kit/vscodeApi';

const vscode = vsCodeApi<FromWebviewMessage, WebviewState>();

interface RunView {
  summary: RunSummary;
  layers: Map<number, RunLayer>;
  received: (Float32Array | undefined)[];
  done: boolean;
}

const app = document.getElementById('app')!;
let state: WebviewState = { runId: null, layer: 0, head: -1, focusedToken: null, mapOpen: false, selectedHeads: [], ...(vscode.getState() ?? {}) };
let run: RunView | null = null;
let nextRequestId = 1;
let pendingMap: { requestId: number; runId: string; layer: number } | null = null;
let pendingAblation: { requestId: number; label: string } | null = null;

// ---- the parts of the page -----------------------------------------------------------------

const normsChart = new NormsChart();
const mlpChart = new MlpChart();
const sinkGrid = new SinkGrid({ open: (layer, head) => openMap(layer, head), selectionChanged: (heads) => onSelectionChanged(heads) });
const heatmap = new Heatmap();
const tokenStrip = new TokenStrip((token) => focusToken(token));
const layerSelect = document.createElement('vscode-single-select') as HTMLElement & { value: string };
const headSelect = document.createElement('vscode-single-select') as HTMLElement & { value: string };
const progressLine = h('p', { class: 'progress', 'data-testid': 'progress', 'aria-live': 'polite' });
const tokenDetails = h('div', { class: 'token-details', 'data-testid': 'token-details' });
const mapStatus = h('p', { class: 'map-status', 'data-testid': 'map-status' });
const selectionLine = h('p', { class: 'selection-line', 'data-testid': 'selected-heads', 'aria-live': 'polite' });
const ablationStatus = h('p', { class: 'ablation-status', 'data-testid': 'ablation-status', 'aria-live': 'polite' });
const mlpBody = h('div', { class: 'mlp-body' });
const ablateButton = button('Ablate Selected Heads', () => ablateSelected(), { testId: 'ablate-selected', title: "Rerun this prompt with the selected heads' output set to zero and compare it with this run in the Sink Analyses panel" });
const clearButton = button('Clear Selection', () => sinkGrid.setSelection([]), { secondary: true, testId: 'clear-selection' });

function setState(patch: Partial<WebviewState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
  vscode.postMessage({ type: 'stateChanged', state });
}

function section(title: string, id: string, ...children: (Node | string)[]): HTMLElement {
  return h('section', { class: `card ${id}`, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}

// ---- rendering -----------------------------------------------------------------------------

function renderRun(view: RunView): void {
  const { summary } = view;
  const model = summary.model;
  const device = summary.runtime.executionProvider.toUpperCase();
  const modelName = model.path.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
  const meta = h(
    'p',
    { class: 'meta', 'data-testid': 'meta' },
    `${modelName} · ${model.architecture} · ${model.layers} layers × ${model.heads} heads · ${summary.tokens.length} tokens · ran on `,
    h('strong', { 'data-testid': 'device', title: summary.runtime.fallbackReason ? `CUDA not used: ${summary.runtime.fallbackReason}` : undefined }, device),
    summary.runtime.fallbackReason ? h('span', { class: 'fallback', title: summary.runtime.fallbackReason }, ' (CUDA unavailable)') : '',
  );
  const promptText = summary.prompt.text ?? '(token ids)';
  const prompt = h('blockquote', { class: 'prompt', 'data-testid': 'prompt' }, promptText.length > 400 ? `${promptText.slice(0, 400)}…` : promptText);

  const header = h(
    'header',
    { class: 'header' },
    h('div', {}, h('h1', {}, 'Sink Report'), meta, prompt),
    h('div', { class: 'actions' }, button('Re-run', () => vscode.postMessage({ type: 'command', command: 'rerun' }), { secondary: true }), button('Report JSON', () => exportFile('json', `sink-report-${summary.runId}.json`), { secondary: true, testId: 'export-json' }), button('Select Model…', () => vscode.postMessage({ type: 'command', command: 'selectModel' }), { secondary: true })),
  );

  const verdict = renderVerdict(summary);

  tokenStrip.setTokens(summary.tokens);
  heatmap.setTokens(summary.tokens.map((token) => token.text));
  const tokens = section('Tokens', 'tokens', h('p', { class: 'hint' }, 'Shaded by the attention each token receives (mean over layers and heads). Click one to see its numbers.'), tokenStrip.element, tokenDetails);

  normsChart.set(normSeries(summary.depths, summary.norms));
  const norms = section(
    'Hidden-state norm by depth',
    'norms',
    h('p', { class: 'hint' }, 'Position 0 (P0) against the other positions. The P0 Sink Circuit predicts P0 jumps to a high norm within two blocks.'),
    h('div', { class: 'chart-box' }, normsChart.canvas),
    h('p', { class: 'ratios', 'data-testid': 'p0-ratios' }, `P0 / median of others: ${summary.p0NormRatio.map((ratio, i) => `${summary.depths[i]}: ${formatNumber(ratio, 2)}`).join(' · ')}`),
    h('div', { class: 'row-actions' }, button('PNG', () => exportPng('norms', normsChart.toPng()), { secondary: true, testId: 'export-norms-png', title: 'Save this chart as a PNG image' }), button('CSV', () => exportCsv('norms'), { secondary: true, testId: 'export-norms-csv', title: 'Save the norms table as CSV' })),
  );

  sinkGrid.set({ sinkScore: summary.sinkScore, epsilon: summary.sinkRate.epsilon, uniformBaseline: summary.uniformBaseline });
  const grid = section(
    'Sink score by layer and head',
    'grid',
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'swatch sink' }), ` outlined: above ε = ${summary.sinkRate.epsilon} (a sink) · `,
      h('span', { class: 'swatch weak' }), ` faded: at most twice the uniform baseline ${formatNumber(summary.uniformBaseline, 3)}`,
    ),
    sinkGrid.element,
    h('p', { class: 'rates', 'data-testid': 'sink-rate' }, `Sink rate: ${formatPercent(summary.sinkRate.all)} of heads (all layers), ${summary.sinkRate.fromLayer2 === null ? '–' : formatPercent(summary.sinkRate.fromLayer2)} from layer 2 on.`),
    h('div', { class: 'row-actions' }, button('PNG', () => exportPng('sink-grid', sinkGrid.toPng()), { secondary: true, testId: 'export-grid-png', title: 'Save the grid as a PNG image' }), button('CSV', () => exportCsv('sinkScores'), { secondary: true, testId: 'export-grid-csv', title: 'Save the sink scores as CSV' })),
    h(
      'div',
      { class: 'ablation' },
      h('p', { class: 'hint' }, 'Heads to ablate: click a head to select it alone, Ctrl/Cmd-click (or Space on a focused cell) to add or remove one; Escape clears. The prompt is then rerun with their output set to zero and compared with this run in the Sink Analyses panel.'),
      selectionLine,
      h('div', { class: 'row-actions' }, ablateButton, clearButton),
      ablationStatus,
    ),
  );
  sinkGrid.setSelection(state.selectedHeads ?? [], false);
  showSelection(sinkGrid.selectedHeads());

  const mlp = section(
    'MLP activation norm per position, layers 0 and 1',
    'mlp',
    h('p', { class: 'hint' }, "The norm of each position's MLP intermediate activation (the input of the down-projection) in the first two blocks. The paper found that in the P0 Sink Circuit these MLPs produce a massive activation at position 0 only: P0's distinct attention output is amplified into the high-norm state that later heads sink onto (Figure 5)."),
    mlpBody,
  );

  layerSelect.replaceChildren(...Array.from({ length: model.layers }, (_, layer) => option(String(layer), `Layer ${layer}`)));
  headSelect.replaceChildren(option('-1', 'Mean of heads'), ...Array.from({ length: model.heads }, (_, head) => option(String(head), `Head ${head}`)));
  layerSelect.setAttribute('aria-label', 'Layer');
  headSelect.setAttribute('aria-label', 'Head');
  const map = section(
    'Attention map',
    'map',
    h('p', { class: 'hint' }, 'Rows are queries, columns are keys; the left column is attention to position 0. Computed on demand for one layer.'),
    h('div', { class: 'map-controls' }, h('label', {}, 'Layer ', layerSelect), h('label', {}, 'Head ', headSelect), button('Show map', () => openMap(Number(layerSelect.value), Number(headSelect.value)), { testId: 'show-map' }), button('PNG', () => exportPng('attention-map', heatmap.toPng()), { secondary: true, testId: 'export-map-png', title: 'Save the map as a PNG image' })),
    mapStatus,
    heatmap.element,
  );

  app.replaceChildren(header, progressLine, verdict, tokens, h('div', { class: 'two-columns' }, norms, grid), mlp, map, glossary());
  updateProgress();
  updateReceived();
  updateMlp();
  requestAnimationFrame(() => {
    layerSelect.value = String(state.layer);
    headSelect.value = String(state.head);
  });
}

function option(value: string, label: string): HTMLElement {
  const element = document.createElement('vscode-option');
  element.setAttribute('value', value);
  element.textContent = label;
  return element;
}

function renderVerdict(summary: RunSummary): HTMLElement {
  const { verdict } = summary;
  return section(
    'Verdict',
    'verdict',
    h('p', { class: 'headline', 'data-testid': 'verdict-headline' }, verdict.headline),
    h('ul', {}, ...verdict.details.map((detail) => h('li', {}, detail))),
    h('p', { class: 'hint' }, h('a', { href: '#glossary' }, 'What do these numbers mean?')),
    ...summary.warnings.map((warning) => h('p', { class: 'warning' }, `⚠ ${warning.message}`)),
  );
}

function glossary(): HTMLElement {
  const entry = (term: string, definition: string) => [h('dt', {}, term), h('dd', {}, definition)];
  return h(
    'section',
    { class: 'card glossary', id: 'glossary', 'aria-labelledby': 'glossary-title' },
    h('h2', { id: 'glossary-title' }, 'What the numbers mean'),
    h(
      'dl',
      {},
      ...entry('Depth', 'Where in the model the hidden state is read: 0 is the embedding output, l + 0.5 is after block l\'s attention, l + 1 after block l.'),
      ...entry('Norm', 'The L2 length of a position\'s hidden state. An attention sink usually sits on a position whose norm is far above the rest.'),
      ...entry('P0 / median', 'Position 0\'s norm divided by the median norm of the other positions at the same depth.'),
      ...entry('sinkScore', 'For one head: the attention each query pays to position 0, averaged over all queries (query 0 pays 1).'),
      ...entry('ε (epsilon)', `A head counts as a sink when its sinkScore is above ε (${DEFAULT_EPSILON} by default, as in Gu et al.).`),
      ...entry('Uniform baseline', 'What a head that spreads attention evenly over the positions it can see would pay to position 0. Short prompts have a high baseline: compare scores with it.'),
      ...entry('Sink rate', 'The share of heads whose sinkScore is above ε, over all layers and from layer 2 on.'),
      ...entry('Formation depth', 'The first depth from which P0\'s norm stays at least twice the others\'. The P0 Sink Circuit forms within two blocks.'),
      ...entry('Attention received', 'For a token: the attention all queries pay to it, averaged over queries, heads and layers; for position 0 this is the mean sinkScore.'),
    ),
  );
}

function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function updateProgress(): void {
  if (!run) return;
  const total = run.summary.model.layers;
  const received = run.received.filter(Boolean).length;
  progressLine.textContent = run.done
    ? `Done: ${run.summary.tokens.length} tokens, ${total} layers.`
    : `Streaming… layers ${run.layers.size} of ${total}; attention received ${received} of ${total}.`;
  progressLine.classList.toggle('done', run.done);
}

function updateReceived(): void {
  if (!run) return;
  const available = run.received.filter((layer): layer is Float32Array => Boolean(layer));
  if (available.length === 0) {
    tokenStrip.setReceived(null);
    return;
  }
  const tokens = run.summary.tokens.length;
  const mean = new Float32Array(tokens);
  for (const layer of available) for (let t = 0; t < tokens; t++) mean[t] += layer[t] / available.length;
  tokenStrip.setReceived(mean);
  if (state.focusedToken !== null) renderTokenDetails(state.focusedToken);
}

function focusToken(token: number): void {
  setState({ focusedToken: token });
  tokenStrip.focus(token);
  heatmap.focusToken(token);
  renderTokenDetails(token);
}

function renderTokenDetails(index: number): void {
  if (!run) return;
  const { summary } = run;
  const token = summary.tokens[index];
  if (!token) return;
  const norms = summary.norms.map((row) => row[index]);
  const received = run.received.map((layer) => (layer ? formatNumber(layer[index], 3) : '…'));
  tokenDetails.replaceChildren(
    h('h3', {}, `Token ${index}: `, h('code', {}, displayToken(token.text)), ` · id ${token.id}${token.special ? ' · special' : ''}${token.end <= token.start ? ' · no source text' : ''}`),
    h('p', {}, `Norm by depth: ${norms.map((value, i) => `${summary.depths[i]}: ${formatNumber(value, 2)}`).join(' · ')}`),
    h('p', {}, `Attention received per layer: ${received.map((value, layer) => `L${layer}: ${value}`).join(' · ')}`),
    token.end > token.start ? button('Show in editor', () => vscode.postMessage({ type: 'revealToken', runId: summary.runId, token: index }), { secondary: true }) : '',
  );
}

// ---- MLP activations --------------------------------------------------------------------------

/** The layer-0/1 MLP chart from the layers received so far; a note where a layer has no single MLP. */
function updateMlp(): void {
  if (!run) return;
  const { summary, layers } = run;
  const wanted = [0, 1].filter((layer) => layer < summary.model.layers);
  const arrived = wanted.filter((layer) => layers.has(layer));
  if (arrived.length < wanted.length && !run.done) {
    mlpChart.set(null);
    mlpBody.replaceChildren(h('p', { class: 'hint' }, 'Waiting for layers 0 and 1…'));
    return;
  }
  const present = arrived.flatMap((layer) => {
    const part = layers.get(layer);
    return part?.mlpNorms && part.mlpAtP0 ? [{ layer, norms: part.mlpNorms, atP0: part.mlpAtP0 }] : [];
  });
  const missing = wanted.filter((layer) => !present.some((entry) => entry.layer === layer));
  const note = missing.length
    ? h('p', { class: 'note', 'data-testid': 'mlp-none' }, `No MLP activation to draw for layer${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}: ${missing.length > 1 ? 'they route' : 'it routes'} tokens to experts (mixture of experts) or has no MLP the graph reader could match, so there is no single MLP activation.`)
    : null;
  if (present.length === 0) {
    mlpChart.set(null);
    mlpBody.replaceChildren(note!);
    return;
  }
  mlpChart.set({ tokens: summary.tokens.map((token) => token.text), layers: present });
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
  mlpBody.replaceChildren(
    h('div', { class: 'chart-box', 'data-testid': 'mlp-chart' }, mlpChart.canvas),
    ratios,
    note ?? '',
    h('div', { class: 'row-actions' }, button('PNG', () => exportPng('mlp-norms', mlpChart.toPng()), { secondary: true, testId: 'export-mlp-png', title: 'Save this chart as a PNG image' }), button('CSV', () => exportCsv('mlpNorms'), { secondary: true, testId: 'export-mlp-csv', title: 'Save the MLP activation norms of every layer as CSV' })),
  );
}

// ---- head selection and ablation ---------------------------------------------------------------

function onSelectionChanged(heads: HeadRef[]): void {
  setState({ selectedHeads: heads });
  showSelection(heads);
}

function showSelection(heads: HeadRef[]): void {
  selectionLine.textContent = heads.length ? `Selected: ${heads.map((ref) => `layer ${ref.layer} head ${ref.head}`).join(', ')} (${heads.length} head${heads.length === 1 ? '' : 's'}).` : 'No heads selected.';
  selectionLine.dataset.label = heads.length ? headLabel(heads) : '';
  // Only a finished (stored) run can be rerun, and one ablation at a time from this panel.
  const disabled = heads.length === 0 || !run?.done || pendingAblation !== null;
  ablateButton.toggleAttribute('disabled', disabled);
  clearButton.toggleAttribute('disabled', heads.length === 0);
}

function ablateSelected(): void {
  const heads = sinkGrid.selectedHeads();
  if (!run?.done || heads.length === 0 || pendingAblation) return;
  pendingAblation = { requestId: nextRequestId++, label: headLabel(heads) };
  setAblationStatus('running', `Rerunning the prompt without ${pendingAblation.label}…`);
  showSelection(heads);
  vscode.postMessage({ type: 'ablateHeads', requestId: pendingAblation.requestId, runId: run.summary.runId, heads });
}

function setAblationStatus(kind: 'running' | 'done' | 'error', text: string): void {
  ablationStatus.dataset.state = kind;
  ablationStatus.textContent = text;
}

// ---- attention maps ------------------------------------------------------------------------

function openMap(layer: number, head: number): void {
  if (!run) return;
  setState({ layer, head, mapOpen: true });
  sinkGrid.show(layer, head);
  layerSelect.value = String(layer);
  headSelect.value = String(head);
  const shown = heatmap.shown;
  if (shown && shown.layer === layer && shown.head === head) {
    mapStatus.textContent = mapLabel(layer, head);
    return;
  }
  const requestId = nextRequestId++;
  pendingMap = { requestId, runId: run.summary.runId, layer };
  mapStatus.textContent = `Computing layer ${layer}'s attention map…`;
  vscode.postMessage({ type: 'requestAttentionMap', requestId, runId: run.summary.runId, layer, head });
}

function onAttentionMap(requestId: number, map: AttentionMapPayload): void {
  if (!pendingMap || pendingMap.requestId !== requestId || !run || map.runId !== run.summary.runId) return;
  pendingMap = null;
  heatmap.setMap({ layer: map.layer, head: map.head, tokens: map.tokens, data: map.data });
  heatmap.focusToken(state.focusedToken);
  mapStatus.textContent = mapLabel(map.layer, map.head);
}

function mapLabel(layer: number, head: number): string {
  const score = head >= 0 ? run?.summary.sinkScore[layer]?.[head] : undefined;
  return `Layer ${layer}, ${head >= 0 ? `head ${head} (sinkScore ${formatNumber(score, 3)})` : 'mean of heads'}.`;
}

// ---- exports -------------------------------------------------------------------------------

function exportFile(kind: ExportKind, name: string, data?: string): void {
  vscode.postMessage({ type: 'export', kind, name, data });
}

function exportPng(name: string, dataUrl: string | null): void {
  if (!run || !dataUrl) return;
  exportFile('png', `sink-${name}-${run.summary.runId}.png`, dataUrl);
}

function exportCsv(table: CsvTable): void {
  if (!run) return;
  const { summary } = run;
  const csv = reportCsv(
    {
      tokens: summary.tokens,
      attention: { sinkScore: summary.sinkScore, sinkRate: summary.sinkRate, uniformBaseline: summary.uniformBaseline, firstTokenAttention: [] },
      residual: { depths: summary.depths, norms: summary.norms.map((row) => Array.from(row)), p0NormRatio: summary.p0NormRatio, p0Separation: summary.p0Separation },
      mlp: { layers: [...run.layers.values()].sort((a, b) => a.layer - b.layer).map((layer) => ({ layer: layer.layer, norms: layer.mlpNorms ? Array.from(layer.mlpNorms) : null })) },
    },
    table,
  );
  exportFile('csv', `sink-${table}-${summary.runId}.csv`, csv);
}

// ---- messages ------------------------------------------------------------------------------

window.addEventListener('message', (event: MessageEvent<ToWebviewMessage>) => {
  const message = event.data;
  switch (message.type) {
    case 'runBegin': {
      const isNewRun = state.runId !== message.summary.runId;
      run = { summary: message.summary, layers: new Map(), received: new Array(message.summary.model.layers).fill(undefined), done: false };
      heatmap.setMap(null);
      // A finished ablation's line belongs to the run it was started from.
      if (isNewRun && !pendingAblation) {
        ablationStatus.textContent = '';
        delete ablationStatus.dataset.state;
      }
      if (isNewRun) setState({ runId: message.summary.runId, focusedToken: null, layer: Math.min(state.layer, message.summary.model.layers - 1), head: Math.min(state.head, message.summary.model.heads - 1) });
      renderRun(run);
      if (state.mapOpen) openMap(state.layer, state.head);
      document.body.dataset.runState = 'streaming';
      break;
    }
    case 'runLayer':
      if (run && message.layer.runId === run.summary.runId) {
        run.layers.set(message.layer.layer, message.layer);
        updateProgress();
        if (message.layer.layer < 2) updateMlp();
      }
      break;
    case 'runReceived':
      if (run && message.received.runId === run.summary.runId) {
        run.received[message.received.layer] = message.received.received;
        updateReceived();
        updateProgress();
      }
      break;
    case 'runEnd':
      if (run && message.runId === run.summary.runId) {
        run.done = true;
        updateProgress();
        updateMlp();
        showSelection(sinkGrid.selectedHeads());
        document.body.dataset.runState = 'done';
      }
      break;
    case 'runError':
      if (!run || message.runId === run.summary.runId || message.runId === null) {
        const cancelled = message.error.category === 'cancelled';
        // A cancelled run needs no other model or settings: no buttons for them.
        const box = h(
          'div',
          { class: 'error', role: 'alert', 'data-testid': 'error' },
          h('p', {}, cancelled ? 'The analysis was cancelled.' : `The analysis failed: ${message.error.message}`),
          cancelled ? null : h('div', { class: 'row-actions' }, button('Select Model…', () => vscode.postMessage({ type: 'command', command: 'selectModel' })), button('Open Settings', () => vscode.postMessage({ type: 'command', command: 'openSettings' }), { secondary: true })),
        );
        if (run) progressLine.replaceChildren(box);
        else app.replaceChildren(box);
        document.body.dataset.runState = cancelled ? 'cancelled' : 'error';
      }
      break;
    case 'attentionMap':
      onAttentionMap(message.inReplyTo, message.map);
      break;
    case 'attentionMapError':
      if (pendingMap?.requestId === message.inReplyTo) {
        pendingMap = null;
        mapStatus.textContent = `Could not compute the map: ${message.error.message}`;
      }
      break;
    case 'focus':
      if (!run || message.runId !== run.summary.runId) break;
      if (message.layer !== undefined) openMap(message.layer, message.head ?? state.head);
      if (message.token !== undefined) {
        focusToken(message.token);
        tokenStrip.element.scrollIntoView({ block: 'nearest' });
      }
      break;
    case 'exportDone':
      if (message.path) progressLine.textContent = `Saved ${message.path}`;
      break;
    case 'ablationDone':
      if (pendingAblation?.requestId === message.inReplyTo) {
        const { label } = pendingAblation;
        pendingAblation = null;
        if (message.error) setAblationStatus('error', `Could not ablate ${label}: ${message.error.message}`);
        else setAblationStatus('done', `${label} ablated: the comparison with this run is in the Sink Analyses panel.`);
        showSelection(sinkGrid.selectedHeads());
      }
      break;
  }
});

layerSelect.addEventListener('change', () => openMap(Number(layerSelect.value), Number(headSelect.value)));
headSelect.addEventListener('change', () => openMap(Number(layerSelect.value), Number(headSelect.value)));

onThemeChange(() => {
  normsChart.render();
  mlpChart.render();
  heatmap.rebuild();
});

vscode.setState(state);
vscode.postMessage({ type: 'ready', state: state.runId ? state : null });
