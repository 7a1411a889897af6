/**
 * The checkpoint-trace webview ("Sink Trace"): the sink metrics of a training run's checkpoints
 * against the step (chart.js, logarithmic step axis with step 0 drawn at the left edge), a depth x
 * step heat map of the P0 norm ratio (canvas, hover read-out), a table of every checkpoint, and a
 * slider that selects one checkpoint and shows its numbers, with "Open in Sink Report" for its
 * full single-prompt view. The charts and the heat map export as PNG and the table as CSV (the
 * host saves them, as for the report panel). State (trace, selected checkpoint) is kept with setState.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type Plugin,
} from 'chart.js';
import { type TraceCheckpoint, traceCsv } from '../../src/protocol/trace';
import type { FromTraceWebviewMessage, ToTraceWebviewMessage, TraceExportKind, TraceView, TraceWebviewState } from '../../src/protocol/traceMessages';
import { button, formatNumber, h } from '../dom';
import { withAlpha } from '../chart';
import { blend, onThemeChange, readTheme } from '../theme';
import { vsCodeApi } from '../vscodeApi';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Tooltip, Legend);

const vscode = vsCodeApi<FromTraceWebviewMessage, TraceWebviewState>();

const app = document.getElementById('app')!;
let state: TraceWebviewState = { traceId: null, selected: null, ...(vscode.getState() ?? {}) };
let view: TraceView | null = null;
let errorMessage: string | null = null;

function setState(patch: Partial<TraceWebviewState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
  vscode.postMessage({ type: 'stateChanged', state });
}

const maxRatio = (checkpoint: TraceCheckpoint): number | null => {
  const values = checkpoint.p0NormRatio.filter((value): value is number => value !== null && Number.isFinite(value));
  return values.length ? Math.max(...values) : null;
};
const percent = (value: number | null | undefined) => (value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(1)} %`);
const stepLabel = (step: number) => (step >= 1000 && step % 100 === 0 ? `${step / 1000}k` : String(step));

/** Where step 0 goes on the log axis: one octave left of the first positive step, labelled 0. */
function zeroPosition(checkpoints: TraceCheckpoint[]): number {
  const firstPositive = checkpoints.find((checkpoint) => checkpoint.step > 0)?.step ?? 2;
  return firstPositive / 2;
}

// ---- the metrics chart ---------------------------------------------------------------------

class MetricsChart {
  readonly canvas = h('canvas', { role: 'img', 'aria-label': 'Line chart of sink rate, concentration and the largest P0 norm ratio against the training step (logarithmic).' });
  private chart: Chart<'line', { x: number; y: number | null }[]> | null = null;
  private selectedX: number | null = null;

  render(checkpoints: TraceCheckpoint[], selected: number): void {
    const theme = readTheme();
    const zero = zeroPosition(checkpoints);
    const x = (checkpoint: TraceCheckpoint) => (checkpoint.step === 0 ? zero : checkpoint.step);
    this.selectedX = checkpoints[selected] ? x(checkpoints[selected]) : null;
    const series = (pick: (checkpoint: TraceCheckpoint) => number | null) => checkpoints.map((checkpoint) => ({ x: x(checkpoint), y: pick(checkpoint) }));
    const third = theme.kind === 'light' ? '#2b8a3e' : '#69db7c';
    const green = getComputedStyle(document.body).getPropertyValue('--vscode-charts-green').trim() || third;
    const marker: Plugin<'line'> = {
      id: 'selectedStep',
      afterDatasetsDraw: (chart) => {
        if (this.selectedX === null) return;
        const scale = chart.scales.x;
        const px = scale.getPixelForValue(this.selectedX);
        const { top, bottom } = chart.chartArea;
        const context = chart.ctx;
        context.save();
        context.strokeStyle = theme.focus;
        context.lineWidth = 1.5;
        context.setLineDash([4, 3]);
        context.beginPath();
        context.moveTo(px, top);
        context.lineTo(px, bottom);
        context.stroke();
        context.restore();
      },
    };
    const steps = checkpoints.map(x);
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'sinkRate[0:] (share of sink heads)', data: series((c) => c.sinkRate.all), borderColor: theme.accent, backgroundColor: theme.accent, borderWidth: 3, pointRadius: 3, yAxisID: 'y', clip: 8 },
          { label: 'sinkRate[2:] (from layer 2)', data: series((c) => c.sinkRate.fromLayer2), borderColor: theme.accent, backgroundColor: theme.accent, borderDash: [6, 4], borderWidth: 2, pointRadius: 4, pointStyle: 'triangle', yAxisID: 'y', clip: 8 },
          { label: 'concentration (share of P0 growth by depth 2)', data: series((c) => c.concentration), borderColor: green, backgroundColor: green, borderWidth: 2, pointRadius: 3, pointStyle: 'rect', yAxisID: 'y', clip: 8 },
          { label: 'max P0 norm ratio (right axis)', data: series(maxRatio), borderColor: theme.second, backgroundColor: theme.second, borderWidth: 2, pointRadius: 3, pointStyle: 'rectRot', yAxisID: 'ratio' },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'logarithmic',
            min: zero / 1.25,
            max: Math.max(...steps) * 1.25,
            title: { display: true, text: 'training step (logarithmic; step 0 at the left edge)', color: theme.muted },
            ticks: { color: theme.muted, autoSkip: true, maxRotation: 0, callback: (value) => (Number(value) === zero ? '0' : stepLabel(Number(value))) },
            afterBuildTicks: (scale) => {
              scale.ticks = steps.map((value) => ({ value }));
            },
            grid: { color: withAlpha(theme.grid, 0.5) },
          },
          y: { min: 0, max: 1, position: 'left', title: { display: true, text: 'sink rate, concentration (0–1)', color: theme.muted }, ticks: { color: theme.muted }, grid: { color: withAlpha(theme.grid, 0.5) } },
          ratio: { position: 'right', beginAtZero: true, title: { display: true, text: 'max P0 norm ratio (×)', color: theme.second }, ticks: { color: theme.muted }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          legend: { labels: { color: theme.foreground, usePointStyle: true, boxHeight: 6 } },
          tooltip: {
            callbacks: {
              title: (items) => {
                const index = items[0]?.dataIndex ?? 0;
                return `step ${checkpoints[index]?.step ?? ''}`;
              },
            },
          },
        },
        onClick: (_event, elements) => {
          if (elements[0]) select(elements[0].index);
        },
      },
      plugins: [marker],
    });
  }

  toPng(): string | null {
    return this.chart ? pngOf(this.chart.canvas) : null;
  }
}

/** A canvas as a PNG data URL on the theme's background (the canvases themselves are transparent). */
function pngOf(canvas: HTMLCanvasElement): string {
  const page = document.createElement('canvas');
  page.width = canvas.width;
  page.height = canvas.height;
  const context = page.getContext('2d')!;
  context.fillStyle = readTheme().background;
  context.fillRect(0, 0, page.width, page.height);
  context.drawImage(canvas, 0, 0);
  return page.toDataURL('image/png');
}

// ---- the depth x step heat map -------------------------------------------------------------

class DepthStepHeatmap {
  readonly canvas = h('canvas', {
    class: 'trace-heatmap-canvas',
    role: 'img',
    'aria-label': 'Heat map of the P0 norm ratio by depth (rows) and checkpoint step (columns). Hover to read values.',
    'data-testid': 'trace-heatmap',
  });
  readonly legend = h('p', { class: 'hint', 'data-testid': 'trace-heatmap-legend' });
  readonly readout = h('p', { class: 'readout', 'data-testid': 'trace-heatmap-readout' }, 'Hover a cell to read its value; click a column to select that checkpoint.');
  private checkpoints: TraceCheckpoint[] = [];
  private selected = 0;
  private geometry = { left: 0, top: 0, cellWidth: 0, cellHeight: 0, rows: 0 };

  constructor() {
    this.canvas.addEventListener('mousemove', (event) => this.hover(event));
    this.canvas.addEventListener('mouseleave', () => (this.readout.textContent = 'Hover a cell to read its value; click a column to select that checkpoint.'));
    this.canvas.addEventListener('click', (event) => {
      const cell = this.cellAt(event);
      if (cell) select(cell.column);
    });
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  set(checkpoints: TraceCheckpoint[], selected: number): void {
    this.checkpoints = checkpoints;
    this.selected = selected;
    this.draw();
  }

  draw(): void {
    const checkpoints = this.checkpoints;
    const depths = checkpoints[0]?.depths ?? [];
    const rows = depths.length;
    const width = this.canvas.clientWidth;
    if (!width || !rows) return;
    const cellHeight = 26;
    const left = 64;
    const top = 6;
    const bottom = 40;
    const height = top + rows * cellHeight + bottom;
    this.canvas.style.setProperty('height', `${height}px`);
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    const context = this.canvas.getContext('2d')!;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const theme = readTheme();
    context.clearRect(0, 0, width, height);
    const cellWidth = (width - left - 8) / Math.max(1, checkpoints.length);
    this.geometry = { left, top, cellWidth, cellHeight, rows };
    let max = 1;
    for (const checkpoint of checkpoints) for (const value of checkpoint.p0NormRatio) if (value !== null && value > max) max = value;
    this.legend.textContent = `Colour: 1× or less (P0 like the other tokens) is the background; ${max.toFixed(2)}× (the largest here) is the strongest. Grey: not measured.`;
    const font = getComputedStyle(document.body).fontFamily || 'sans-serif';
    context.font = `12px ${font}`;
    context.textBaseline = 'middle';
    checkpoints.forEach((checkpoint, column) => {
      for (let row = 0; row < rows; row++) {
        // Depth 0 at the bottom, the last block's output at the top.
        const depthIndex = rows - 1 - row;
        const value = checkpoint.p0NormRatio[depthIndex];
        const x = left + column * cellWidth;
        const y = top + row * cellHeight;
        if (value === null || !Number.isFinite(value)) {
          context.fillStyle = withAlpha(theme.muted, 0.15);
          context.fillRect(x + 1, y + 1, cellWidth - 2, cellHeight - 2);
          continue;
        }
        // Ratio 1 (P0 like the others) is the background; the largest ratio is the accent.
        const t = Math.sqrt(Math.max(0, Math.min(1, (value - 1) / Math.max(1e-6, max - 1))));
        const [r, g, b] = blend(theme.background, theme.accent, 0.08 + 0.92 * t);
        context.fillStyle = `rgb(${r}, ${g}, ${b})`;
        context.fillRect(x + 1, y + 1, cellWidth - 2, cellHeight - 2);
        if (cellWidth >= 34) {
          const dark = (0.299 * r + 0.587 * g + 0.114 * b) < 140;
          context.fillStyle = dark ? '#ffffff' : '#1e1e1e';
          context.textAlign = 'center';
          context.fillText(value.toFixed(cellWidth >= 44 ? 2 : 1), x + cellWidth / 2, y + cellHeight / 2);
        }
      }
    });
    // Axes: depth labels on the left, steps below.
    context.fillStyle = theme.muted;
    context.textAlign = 'right';
    for (let row = 0; row < rows; row++) context.fillText(`depth ${depths[rows - 1 - row]}`, left - 6, top + row * cellHeight + cellHeight / 2);
    context.textAlign = 'center';
    checkpoints.forEach((checkpoint, column) => context.fillText(stepLabel(checkpoint.step), left + (column + 0.5) * cellWidth, top + rows * cellHeight + 11));
    context.fillText('training step', left + (checkpoints.length * cellWidth) / 2, top + rows * cellHeight + 29);
    // The selected checkpoint's column.
    if (checkpoints[this.selected]) {
      context.strokeStyle = theme.focus;
      context.lineWidth = 2;
      context.strokeRect(left + this.selected * cellWidth + 1, top + 1, cellWidth - 2, rows * cellHeight - 2);
    }
  }

  toPng(): string | null {
    return this.checkpoints.length && this.canvas.width ? pngOf(this.canvas) : null;
  }

  private cellAt(event: MouseEvent): { column: number; depthIndex: number } | null {
    const box = this.canvas.getBoundingClientRect();
    const { left, top, cellWidth, cellHeight, rows } = this.geometry;
    const column = Math.floor((event.clientX - box.left - left) / cellWidth);
    const row = Math.floor((event.clientY - box.top - top) / cellHeight);
    if (column < 0 || column >= this.checkpoints.length || row < 0 || row >= rows) return null;
    return { column, depthIndex: rows - 1 - row };
  }

  private hover(event: MouseEvent): void {
    const cell = this.cellAt(event);
    if (!cell) return;
    const checkpoint = this.checkpoints[cell.column];
    const depth = checkpoint.depths[cell.depthIndex];
    this.readout.textContent = `step ${checkpoint.step} · depth ${depth}: P0 norm ratio ${formatNumber(checkpoint.p0NormRatio[cell.depthIndex], 3)} (‖h₀‖ / median ‖hᵢ‖)`;
  }
}

// ---- the selected checkpoint's P0 ratio curve -------------------------------------------------

class RatioCurve {
  readonly canvas = h('canvas', { role: 'img', 'aria-label': "The selected checkpoint's P0 norm ratio by depth, with the first and last checkpoints for comparison." });
  private chart: Chart<'line'> | null = null;

  render(checkpoints: TraceCheckpoint[], selected: number): void {
    const theme = readTheme();
    const current = checkpoints[selected];
    if (!current) return;
    const first = checkpoints[0];
    const last = checkpoints[checkpoints.length - 1];
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, {
      type: 'line',
      data: {
        labels: current.depths.map(String),
        datasets: [
          { label: `step ${first.step}`, data: first.p0NormRatio, borderColor: theme.muted, backgroundColor: theme.muted, borderDash: [2, 3], borderWidth: 1.5, pointRadius: 2 },
          { label: `step ${last.step}`, data: last.p0NormRatio, borderColor: theme.second, backgroundColor: theme.second, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 2 },
          { label: `step ${current.step} (selected)`, data: current.p0NormRatio, borderColor: theme.accent, backgroundColor: theme.accent, borderWidth: 3, pointRadius: 3 },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: 'depth', color: theme.muted }, ticks: { color: theme.muted }, grid: { color: withAlpha(theme.grid, 0.5) } },
          y: { beginAtZero: true, title: { display: true, text: 'P0 norm ratio (×)', color: theme.muted }, ticks: { color: theme.muted }, grid: { color: withAlpha(theme.grid, 0.5) } },
        },
        plugins: { legend: { labels: { color: theme.foreground, boxHeight: 6 } } },
      },
    });
  }

  toPng(): string | null {
    return this.chart ? pngOf(this.chart.canvas) : null;
  }
}

// ---- exports ---------------------------------------------------------------------------------

/** The host asks where to save it (a save dialog in the workspace) and answers with exportDone. */
function exportFile(kind: TraceExportKind, name: string, data: string | null): void {
  if (data !== null) vscode.postMessage({ type: 'export', kind, name, data });
}

/** File names start with the trace's name (its folder's last two parts) made safe for a file name. */
function exportName(part: string, extension: 'png' | 'csv'): string {
  const base = (view?.name ?? 'trace').replace(/[^\w.-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 80) || 'trace';
  return `sink-trace-${base}${part ? `-${part}` : ''}.${extension}`;
}

function exportButtons(...buttons: HTMLElement[]): HTMLElement {
  return h('div', { class: 'row-actions' }, ...buttons);
}

const pngButton = (testId: string, title: string, part: () => string, png: () => string | null) =>
  button('PNG', () => exportFile('png', exportName(part(), 'png'), png()), { secondary: true, testId, title });

// ---- page ------------------------------------------------------------------------------------

const metricsChart = new MetricsChart();
const heatmap = new DepthStepHeatmap();
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

function card(title: string, id: string, ...children: (Node | string)[]): HTMLElement {
  return h('section', { class: `card ${id}`, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}

function stat(label: string, testId: string, value: string, raw: number | null, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'stat', title: hint },
    h('dt', {}, label),
    h('dd', { 'data-testid': testId, 'data-value': raw === null || !Number.isFinite(raw) ? '' : String(raw) }, value),
  );
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
  for (const row of document.querySelectorAll<HTMLTableRowElement>('.trace-table tbody tr')) row.setAttribute('aria-selected', String(Number(row.dataset.index) === index));
  details.replaceChildren();
  if (!checkpoint) return;
  const verdictLayer = (value: number | null, none: string) => (value === null ? none : String(value));
  details.append(
    h('p', { class: 'selected-step' }, h('strong', { 'data-testid': 'selected-step', 'data-step': String(checkpoint.step) }, `Step ${checkpoint.step}`), ` · checkpoint ${index + 1} of ${checkpoints.length} · ran on ${checkpoint.executionProvider.toUpperCase()}`),
    h(
      'dl',
      { class: 'stats' },
      stat('sinkRate[0:]', 'stat-sink-rate', percent(checkpoint.sinkRate.all), checkpoint.sinkRate.all, 'Share of all heads whose attention to position 0 exceeds ε, averaged over the probe prompts.'),
      stat('sinkRate[2:]', 'stat-sink-rate-2', percent(checkpoint.sinkRate.fromLayer2), checkpoint.sinkRate.fromLayer2, 'The same, counting layers 2 and above only.'),
      stat('formationDepth', 'stat-formation-depth', verdictLayer(checkpoint.formationDepth, 'not formed'), checkpoint.formationDepth, 'First depth where the P0 norm ratio rises clearly above the other positions.'),
      stat('sinkOnsetLayer', 'stat-onset-layer', verdictLayer(checkpoint.sinkOnsetLayer, 'no sink head'), checkpoint.sinkOnsetLayer, 'First layer with a sink head.'),
      stat('concentration', 'stat-concentration', formatNumber(checkpoint.concentration, 2), checkpoint.concentration, "Share of the P0 norm ratio's log growth reached by depth 2 (ANALYSES.md)."),
      stat('max P0 ratio', 'stat-max-ratio', `${formatNumber(maxRatio(checkpoint), 2)}×`, maxRatio(checkpoint)),
      stat('loss', 'stat-loss', `${formatNumber(checkpoint.loss, 3)} nats`, checkpoint.loss, 'Mean next-token cross-entropy on the probe prompts.'),
    ),
  );
  ratioCurve.render(checkpoints, index);
}

function render(): void {
  if (!view) return;
  const { trace } = view;
  const checkpoints = trace.checkpoints;
  document.body.dataset.traceState = view.done ? 'done' : errorMessage ? 'error' : 'running';
  const bos = trace.bos === null ? 'BOS as each tokenizer says' : trace.bos ? 'BOS on' : 'BOS off';
  const status = view.done
    ? `${checkpoints.length} checkpoints measured.`
    : errorMessage ?? `Measuring… ${checkpoints.length} of ${view.total} checkpoints so far.`;
  const open = button(
    'Open in Sink Report',
    () => view && vscode.postMessage({ type: 'openCheckpoint', traceId: view.traceId, index: selectedIndex() }),
    { testId: 'open-in-report', title: 'Run the normal single-prompt analysis of the first probe prompt on the selected checkpoint' },
  );
  const selectedStep = () => `p0-ratio-step${checkpoints[selectedIndex()]?.step ?? ''}`;
  const table = h(
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
          h('td', {}, formatNumber(checkpoint.concentration, 2)),
          h('td', {}, `${formatNumber(maxRatio(checkpoint), 2)}×`),
          h('td', {}, formatNumber(checkpoint.loss, 3)),
        );
        row.addEventListener('click', () => select(index));
        row.addEventListener('keydown', (event) => event.key === 'Enter' && select(index));
        return row;
      }),
    ),
  );
  app.replaceChildren(
    h('header', { class: 'trace-header' },
      h('h1', {}, `Checkpoint trace: ${view.name}`),
      h('p', { class: 'meta', 'data-testid': 'trace-meta' },
        h('span', { 'data-testid': 'checkpoint-count', 'data-count': String(checkpoints.length) }, `${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}`),
        ` · ${trace.prompts.length} probe prompt${trace.prompts.length === 1 ? '' : 's'} · ε ${trace.epsilon} · ${bos} · `,
        h('span', { title: view.folder }, view.folder),
      ),
      h('p', { class: 'explain' },
        'Each checkpoint of the training run gets the same probe prompts: the lines show how many heads sink their attention onto the first token (sinkRate) and how much larger the first token\'s hidden state grows than the others (P0 norm ratio), step by step. ',
        'The paper found that this P0 sink circuit emerges early in pre-training and concentrates in the first two layers, so its rise and settling can be read as a convergence signal.',
      ),
      h('p', { class: errorMessage ? 'error' : 'progress', 'data-testid': 'trace-status' }, status),
      exportStatus,
    ),
    card(
      'Sink metrics against the training step',
      'trace-metrics',
      h('div', { class: 'chart-box trace-chart' }, metricsChart.canvas),
      exportButtons(pngButton('export-metrics-png', 'Save this chart as a PNG image', () => 'metrics', () => metricsChart.toPng())),
    ),
    h('div', { class: 'trace-columns' },
      card(
        'Selected checkpoint',
        'trace-selected',
        h('label', { for: 'trace-slider', class: 'slider-label' }, 'Checkpoint (← → to step through):'),
        slider,
        details,
        h('div', { class: 'chart-box ratio-chart' }, ratioCurve.canvas),
        exportButtons(pngButton('export-ratio-png', "Save the selected checkpoint's P0 norm ratio chart as a PNG image", selectedStep, () => ratioCurve.toPng())),
        h('div', { class: 'actions' }, open),
        h('p', { class: 'hint' }, 'Opens the full single-prompt view (norms, sink grid, attention maps) of the first probe prompt on this checkpoint.'),
      ),
      card(
        'P0 norm ratio by depth and step',
        'trace-heat',
        h('p', { class: 'hint' }, 'How many times larger the first token\'s hidden state is than the median of the others, at each depth (rows; 0 = embeddings, l + 0.5 = after attention of block l) and checkpoint (columns).'),
        heatmap.canvas,
        heatmap.legend,
        heatmap.readout,
        exportButtons(pngButton('export-heatmap-png', 'Save the heat map as a PNG image', () => 'heatmap', () => heatmap.toPng())),
      ),
    ),
    card(
      'All checkpoints',
      'trace-all',
      table,
      exportButtons(
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

window.addEventListener('message', (event: MessageEvent<ToTraceWebviewMessage>) => {
  const message = event.data;
  switch (message.type) {
    case 'trace': {
      const changedTrace = view?.traceId !== message.view.traceId;
      view = message.view;
      errorMessage = null;
      if (changedTrace) exportStatus.textContent = '';
      if (changedTrace && state.traceId !== message.view.traceId) setState({ traceId: message.view.traceId, selected: null });
      else if (changedTrace) setState({ traceId: message.view.traceId });
      render();
      break;
    }
    case 'traceError':
      if (view?.traceId === message.traceId) {
        errorMessage = message.message;
        render();
      }
      break;
    case 'select':
      select(message.index);
      break;
    case 'exportDone':
      if (message.path) exportStatus.textContent = `Saved ${message.path}`;
      break;
  }
});

onThemeChange(() => {
  if (rendered) renderSelection();
});

vscode.postMessage({ type: 'ready', state: vscode.getState() ?? null });
