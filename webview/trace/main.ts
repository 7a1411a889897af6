/**
 * The checkpoint-trace webview ("Sink Trace"): the sink metrics of a training run's checkpoints
 * against the step (chart.js, logarithmic step axis with step 0 drawn at the left edge), a depth x
 * step heat map of the P0 norm ratio (canvas, hover read-out), a table of every checkpoint, and a
 * slider that selects one checkpoint and shows its numbers, with "Open in Sink Report" for its
 * full single-prompt view. The charts and the heat map export as PNG and the table as CSV (the
 * host saves them, as for the report panel). State (trace, selected checkpoint) is kept with setState.
 * The charts are metricsChart.ts, depthStepHeatmap.ts and ratioCurve.ts; the table and the selected
 * checkpoint's numbers checkpointTable.ts and checkpointDetails.ts.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { traceHostChecks, traceWebviewChecks, type TraceHostSide, type TraceView, type TraceWebviewSide, type TraceWebviewState } from '../../src/protocol/channels/trace';
import { depthAxisTitle } from '../../src/protocol/depths';
import { traceCsv } from '../../src/protocol/trace';
import { buttonRow, card } from '../kit/cards';
import { button, h } from '../kit/dom';
import { connectToHost } from '../kit/messageClient';
import { onThemeChange } from '../kit/theme';
import { checkpointDetails } from './checkpointDetails';
import { checkpointTable, markSelectedRow } from './checkpointTable';
import { DepthStepHeatmap } from './depthStepHeatmap';
import { MetricsChart } from './metricsChart';
import { NO_GROWTH } from './steps';
import { RatioCurve } from './ratioCurve';

const { host, getState, setState: keepState } = connectToHost<TraceWebviewSide, TraceHostSide, TraceWebviewState>({ webview: traceWebviewChecks, host: traceHostChecks });

const app = document.getElementById('app')!;
let state: TraceWebviewState = { traceId: null, selected: null, ...(getState() ?? {}) };
let view: TraceView | null = null;
let errorMessage: string | null = null;

function setState(patch: Partial<TraceWebviewState>): void {
  state = { ...state, ...patch };
  keepState(state);
  host.notify('stateChanged', { state });
}

// ---- exports ---------------------------------------------------------------------------------

/** The host asks where to save it (a save dialog in the workspace) and answers with the path. */
function exportFile(kind: 'png' | 'csv', name: string, data: string | null): void {
  if (data === null) return;
  host.request('export', { kind, name, data }).then(
    ({ path }) => path && (exportStatus.textContent = `Saved ${path}`),
    (error: Error) => (exportStatus.textContent = `Could not save: ${error.message}`),
  );
}

/** File names start with the trace's name (its folder's last two parts) made safe for a file name. */
function exportName(part: string, extension: 'png' | 'csv'): string {
  const base =
    (view?.name ?? 'trace')
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 80) || 'trace';
  return `sink-trace-${base}${part ? `-${part}` : ''}.${extension}`;
}

const pngButton = (testId: string, title: string, part: () => string, png: () => string | null) =>
  button('PNG', () => exportFile('png', exportName(part(), 'png'), png()), { secondary: true, testId, title });

// ---- page ------------------------------------------------------------------------------------

const metricsChart = new MetricsChart((index) => select(index));
const heatmap = new DepthStepHeatmap((index) => select(index));
const ratioCurve = new RatioCurve();
const slider = h('input', { type: 'range', min: 0, max: 0, step: 1, value: 0, class: 'trace-slider', id: 'trace-slider', 'data-testid': 'trace-slider' }) as HTMLInputElement;
slider.addEventListener('input', () => select(Number(slider.value)));
const details = h('div', { class: 'trace-details', 'data-testid': 'trace-details' });
/** "Saved …" after an export; kept across renders (a running trace re-renders with every checkpoint). */
const exportStatus = h('p', { class: 'hint export-status', role: 'status', 'data-testid': 'trace-export-status' });
let rendered: { traceId: string; count: number } | null = null;

function selectedIndex(): number {
  const count = view?.trace.checkpoints.length ?? 0;
  if (count === 0) return 0;
  return state.selected === null || state.selected >= count ? count - 1 : Math.max(0, state.selected);
}

function select(index: number): void {
  setState({ selected: index });
  renderSelection();
}

function renderSelection(): void {
  if (!view) return;
  const checkpoints = view.trace.checkpoints;
  const index = selectedIndex();
  const checkpoint = checkpoints[index];
  slider.max = String(Math.max(0, checkpoints.length - 1));
  slider.value = String(index);
  slider.disabled = checkpoints.length < 2;
  slider.setAttribute('aria-valuetext', checkpoint ? `step ${checkpoint.step}, checkpoint ${index + 1} of ${checkpoints.length}` : 'no checkpoints yet');
  metricsChart.render(checkpoints, index);
  heatmap.set(checkpoints, index);
  markSelectedRow(index);
  details.replaceChildren();
  if (!checkpoint) return;
  details.append(...checkpointDetails(checkpoint, index, checkpoints.length));
  ratioCurve.render(checkpoints, index);
}

function render(): void {
  if (!view) return;
  const { trace } = view;
  const checkpoints = trace.checkpoints;
  document.body.dataset.traceState = view.done ? 'done' : errorMessage ? 'error' : 'running';
  const bos = trace.bos === null ? 'BOS as each tokenizer says' : trace.bos ? 'BOS on' : 'BOS off';
  const status = view.done ? `${checkpoints.length} checkpoints measured.` : (errorMessage ?? `Measuring… ${checkpoints.length} of ${view.total} checkpoints so far.`);
  const open = button('Open in Sink Report', () => view && host.notify('openCheckpoint', { traceId: view.traceId, index: selectedIndex() }), {
    testId: 'open-in-report',
    title: 'Run the normal single-prompt analysis of the first probe prompt on the selected checkpoint',
  });
  const selectedStep = () => `p0-ratio-step${checkpoints[selectedIndex()]?.step ?? ''}`;
  const table = checkpointTable(checkpoints, select);
  app.replaceChildren(
    h(
      'header',
      { class: 'trace-header' },
      h('h1', {}, `Checkpoint trace: ${view.name}`),
      h(
        'p',
        { class: 'meta', 'data-testid': 'trace-meta' },
        h('span', { 'data-testid': 'checkpoint-count', 'data-count': String(checkpoints.length) }, `${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}`),
        ` · ${trace.prompts.length} probe prompt${trace.prompts.length === 1 ? '' : 's'} · ε ${trace.epsilon} · ${bos} · `,
        h('span', { title: view.folder }, view.folder),
      ),
      h(
        'p',
        { class: 'explain' },
        "Each checkpoint of the training run gets the same probe prompts: the lines show how many heads sink their attention onto the first token (sinkRate) and how much larger the first token's hidden state grows than the others (P0 norm ratio), step by step. ",
        'The paper found that this P0 sink circuit emerges early in pre-training and concentrates in the first two layers, so its rise and settling can be read as a convergence signal.',
      ),
      h('p', { class: errorMessage ? 'error' : 'progress', 'data-testid': 'trace-status' }, status),
      exportStatus,
    ),
    card(
      'Sink metrics against the training step',
      'trace-metrics',
      h('div', { class: 'chart-box trace-chart' }, metricsChart.canvas),
      checkpoints.some((checkpoint) => checkpoint.concentration === null)
        ? h('p', { class: 'hint', 'data-testid': 'concentration-legend' }, `Concentration has no point (— in the table) at a step with ${NO_GROWTH}.`)
        : null,
      buttonRow(
        pngButton(
          'export-metrics-png',
          'Save this chart as a PNG image',
          () => 'metrics',
          () => metricsChart.toPng(),
        ),
      ),
    ),
    h(
      'div',
      { class: 'trace-columns' },
      card(
        'Selected checkpoint',
        'trace-selected',
        h('label', { for: 'trace-slider', class: 'slider-label' }, 'Checkpoint (← → to step through):'),
        slider,
        details,
        h('div', { class: 'chart-box ratio-chart' }, ratioCurve.canvas),
        buttonRow(pngButton('export-ratio-png', "Save the selected checkpoint's P0 norm ratio chart as a PNG image", selectedStep, () => ratioCurve.toPng())),
        h('div', { class: 'actions' }, open),
        h('p', { class: 'hint' }, 'Opens the full single-prompt view (norms, sink grid, attention maps) of the first probe prompt on this checkpoint.'),
      ),
      card(
        'P0 norm ratio by depth and step',
        'trace-heat',
        h(
          'p',
          { class: 'hint', 'data-testid': 'trace-heat-depths' },
          `How many times larger the first token's hidden state is than the median of the others, by checkpoint (columns) and ${depthAxisTitle(checkpoints[0]?.depths ?? [])} (rows).`,
        ),
        heatmap.canvas,
        heatmap.legend,
        heatmap.readout,
        buttonRow(
          pngButton(
            'export-heatmap-png',
            'Save the heat map as a PNG image',
            () => 'heatmap',
            () => heatmap.toPng(),
          ),
        ),
      ),
    ),
    card(
      'All checkpoints',
      'trace-all',
      table,
      buttonRow(
        button('CSV', () => view && exportFile('csv', exportName('', 'csv'), traceCsv(view.trace)), {
          secondary: true,
          testId: 'export-trace-csv',
          title: "Save every checkpoint's metrics as CSV (the same file as sink-lens trace --csv)",
        }),
      ),
    ),
  );
  rendered = { traceId: view.traceId, count: checkpoints.length };
  renderSelection();
}

host.listen({
  trace: (next) => {
    const changedTrace = view?.traceId !== next.traceId;
    view = next;
    errorMessage = null;
    if (changedTrace) exportStatus.textContent = '';
    if (changedTrace && state.traceId !== next.traceId) setState({ traceId: next.traceId, selected: null });
    else if (changedTrace) setState({ traceId: next.traceId });
    render();
  },
  traceError: ({ traceId, error }) => {
    if (view?.traceId !== traceId) return;
    errorMessage = error.message;
    render();
  },
  select: ({ index }) => select(index),
});

onThemeChange(() => {
  if (rendered) renderSelection();
});

host.notify('ready', { state: getState() ?? null });
