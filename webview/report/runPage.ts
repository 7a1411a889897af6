/**
 * The Sink Report page of ONE run: header, verdict, token strip with its token card, norms, sink
 * grid with the ablation controls, MLP activations, attention map, glossary. Built anew for each run
 * (main.ts replaces the page when the run changes), so nothing it holds (a token card, a heat-map
 * read-out, a selection) can outlive its run. It draws the run as its parts arrive (`update`) and
 * the view the user makes of it (ReportWebviewState: focused token, open map, selected heads),
 * which it hands back through `onView` to be kept.
 */
import type { HeadRef } from '../../src/protocol/analyses';
import type { ReportCommand, ReportHostAbilities, ReportWebviewState, RunAsked } from '../../src/protocol/channels/report';
import type { ExportResult } from '../../src/protocol/channels/webviewChecks';
import type { CsvTable } from '../../src/protocol/reportCsv';
import type { AttentionMapPayload, ReportArrays } from '../../src/protocol/runReport';
import { displayToken } from '../../src/protocol/tokenText';
import { buttonRow, card } from '../kit/cards';
import { button, h } from '../kit/dom';
import { formatNumber, percent } from '../kit/format';
import { AblationControls } from './ablationControls';
import { AttentionMapSection } from './attentionMapSection';
import { csvOf, csvName, jsonName, pngName } from './exports';
import { glossary } from './glossary';
import { MlpSection } from './mlpSection';
import { NormsChart, normSeries } from './normsChart';
import { progressText, type RunView } from './runView';
import { SinkGrid } from './sinkGrid';
import { tokenDetails } from './tokenDetails';
import { TokenStrip } from './tokenStrip';
import { verdictCard } from './verdictCard';

/** What the page asks of its host (VS Code, or an exported page's stand-in). */
export interface RunPageHost {
  abilities: ReportHostAbilities;
  attentionMap(runId: string, layer: number, head: number): Promise<AttentionMapPayload>;
  ablate(runId: string, heads: HeadRef[]): Promise<unknown>;
  exportFile(kind: 'png' | 'json' | 'csv', name: string, data?: string): Promise<ExportResult>;
  command(command: ReportCommand): void;
  revealToken(runId: string, token: number): void;
}

export class RunPage {
  readonly element: HTMLElement;
  private readonly run: RunView;
  private readonly progressLine = h('p', { class: 'progress', 'data-testid': 'progress', 'aria-live': 'polite' });
  private readonly tokenDetailsBox = h('div', { class: 'token-details', 'data-testid': 'token-details' });
  private readonly hoverLine = h('p', { class: 'hint token-hover', 'data-testid': 'token-hover' });
  private readonly tokenStrip: TokenStrip;
  private readonly normsChart = new NormsChart();
  private readonly sinkGrid: SinkGrid;
  private readonly ablation: AblationControls;
  private readonly mlp: MlpSection;
  private readonly map: AttentionMapSection;

  constructor(
    run: RunView,
    private readonly asked: RunAsked | null,
    private view: ReportWebviewState,
    private readonly host: RunPageHost,
    private readonly onView: (view: ReportWebviewState) => void,
  ) {
    this.run = run;
    const { runId, report } = run;
    this.tokenStrip = new TokenStrip({ onSelect: (token) => this.focusToken(token), onHover: (token) => this.showHover(token) });
    this.sinkGrid = new SinkGrid({ open: (layer, head) => this.map.open(layer, head), selectionChanged: (heads) => this.selectionChanged(heads) });
    this.ablation = new AblationControls(
      this.sinkGrid,
      (heads) => host.ablate(runId, heads),
      host.abilities.models ? null : 'This exported page has no model to rerun: Ablate Selected Heads gives the sink-lens command line that removes the heads you select.',
    );
    this.mlp = new MlpSection({ png: () => this.exportPng('mlp-norms', this.mlp.chart.toPng()), csv: () => this.exportCsv('mlpNorms') });
    this.map = new AttentionMapSection(
      () => this.run,
      () => this.view.focusedToken,
      {
        fetch: (id, layer, head) => host.attentionMap(id, layer, head),
        opened: (layer, head) => {
          this.setView({ layer, head, mapOpen: true });
          this.sinkGrid.show(layer, head);
        },
        exportPng: () => this.exportPng('attention-map', this.map.heatmap.toPng()),
      },
    );
    this.element = h('div', { class: 'run-page', 'data-run-id': runId }, ...this.sections(run));
    this.map.heatmap.setTokens(report.tokens.map((token) => token.text));
    this.normsChart.set(normSeries(report.residual.depths, report.residual.norms));
    const { sinkScore, sinkRate, uniformBaseline } = report.attention;
    this.sinkGrid.set({ sinkScore, epsilon: sinkRate.epsilon, uniformBaseline });
    this.sinkGrid.setSelection(view.selectedHeads ?? [], false);
    this.ablation.showSelection(this.sinkGrid.selectedHeads());
    this.progressLine.textContent = progressText(run);
    this.progressLine.classList.add('done');
    this.tokenStrip.render(report.tokens, run.meanReceived, this.view.focusedToken);
    this.renderTokenDetails();
    this.mlp.set(run);
    if (view.mapOpen) this.map.open(view.layer, view.head);
  }

  /** The host asked to show a map or a token of this run (a hover card's link, the explorer). */
  focus(view: ReportWebviewState, token: number | undefined): void {
    if (view.mapOpen && (view.layer !== this.view.layer || view.head !== this.view.head || !this.view.mapOpen)) this.map.open(view.layer, view.head);
    if (token !== undefined) {
      this.focusToken(token);
      this.tokenStrip.reveal(token);
      this.tokenStrip.element.scrollIntoView({ block: 'nearest' });
    }
  }

  /** The theme changed: charts and the map repaint with its colours. */
  rethemed(): void {
    this.normsChart.render();
    this.mlp.chart.render();
    this.map.heatmap.rebuild();
  }

  dispose(): void {
    this.map.dispose();
    this.normsChart.set(null);
    this.mlp.chart.set(null);
  }

  private setView(patch: Partial<ReportWebviewState>): void {
    this.view = { ...this.view, ...patch };
    this.onView(this.view);
  }

  private sections(run: RunView): HTMLElement[] {
    const { report } = run;
    const { model, residual, attention } = report;
    const tokens = card(
      'Tokens',
      'tokens',
      h('p', { class: 'hint' }, 'Shaded by the attention each token receives (mean over layers and heads). Click one (or use the arrow keys and Enter) to see its numbers.'),
      this.tokenStrip.element,
      this.hoverLine,
      this.tokenDetailsBox,
    );
    const norms = card(
      'Hidden-state norm by depth',
      'norms',
      h('p', { class: 'hint' }, 'Position 0 (P0) against the other positions. The P0 Sink Circuit predicts P0 jumps to a high norm within two blocks.'),
      h('div', { class: 'chart-box' }, this.normsChart.canvas),
      h('p', { class: 'ratios', 'data-testid': 'p0-ratios' }, `P0 / median of others: ${residual.p0NormRatio.map((ratio, i) => `${residual.depths[i]}: ${formatNumber(ratio, 2)}`).join(' · ')}`),
      buttonRow(
        button('PNG', () => this.exportPng('norms', this.normsChart.toPng()), { secondary: true, testId: 'export-norms-png', title: 'Save this chart as a PNG image' }),
        button('CSV', () => this.exportCsv('norms'), { secondary: true, testId: 'export-norms-csv', title: 'Save the norms table as CSV' }),
      ),
    );
    const grid = card(
      'Sink score by layer and head',
      'grid',
      h(
        'p',
        { class: 'legend' },
        h('span', { class: 'swatch sink' }),
        ` outlined: above ε = ${attention.sinkRate.epsilon} (a sink head) · `,
        h('span', { class: 'swatch weak' }),
        ` faded: at most twice the uniform share (2 × ${formatNumber(attention.uniformBaseline, 3)})`,
      ),
      this.sinkGrid.element,
      h('p', { class: 'rates', 'data-testid': 'sink-rate' }, `Sink rate: ${percent(attention.sinkRate.all)} of heads (all layers), ${percent(attention.sinkRate.fromLayer2)} from layer 2 on.`),
      buttonRow(
        button('PNG', () => this.exportPng('sink-grid', this.sinkGrid.toPng()), { secondary: true, testId: 'export-grid-png', title: 'Save the grid as a PNG image' }),
        button('CSV', () => this.exportCsv('sinkScores'), { secondary: true, testId: 'export-grid-csv', title: 'Save the sink scores as CSV' }),
      ),
      this.ablation.element(),
    );
    const mlpCard = card(
      'MLP activation norm per position, layers 0 and 1',
      'mlp',
      h(
        'p',
        { class: 'hint' },
        "The norm of each position's MLP intermediate activation (the input of the down-projection) in the first two blocks. The paper found that in the P0 Sink Circuit these MLPs produce a massive activation at position 0 only: P0's distinct attention output is amplified into the high-norm state that later heads sink onto (Figure 5).",
      ),
      this.mlp.body,
    );
    const mapCard = card(
      'Attention map',
      'map',
      h('p', { class: 'hint' }, 'Rows are queries (↓), columns are keys (→); the left column is attention to position 0. Computed on demand for one layer.'),
      this.map.setModel(model.layers, model.heads, this.view.layer, this.view.head),
      this.map.status,
      this.map.placeholder,
      this.map.heatmap.element,
    );
    return [
      this.header(report),
      this.progressLine,
      verdictCard(run, this.asked?.demoModel ?? false, this.host.abilities, () => this.host.command('openDemoPrompts')),
      tokens,
      h('div', { class: 'two-columns' }, norms, grid),
      mlpCard,
      mapCard,
      glossary(model.layers),
    ];
  }

  private header(report: ReportArrays): HTMLElement {
    const { model, runtime } = report;
    const { abilities } = this.host;
    const modelName = model.path.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
    const meta = h(
      'p',
      { class: 'meta', 'data-testid': 'meta' },
      `${modelName} · ${model.architecture} · ${model.layers} layers × ${model.heads} heads · ${report.tokens.length} tokens · ran on `,
      h('strong', { 'data-testid': 'device', title: runtime.fallbackReason ? `CUDA not used: ${runtime.fallbackReason}` : undefined }, runtime.executionProvider.toUpperCase()),
      runtime.fallbackReason ? h('span', { class: 'fallback', title: runtime.fallbackReason }, ' (CUDA unavailable)') : '',
    );
    const promptText = report.prompt.text ?? '(token ids)';
    const prompt = h('blockquote', { class: 'prompt', 'data-testid': 'prompt' }, promptText.length > 400 ? `${promptText.slice(0, 400)}…` : promptText);
    return h(
      'header',
      { class: 'header' },
      h('div', {}, h('h1', {}, 'Sink Report'), meta, prompt),
      h(
        'div',
        { class: 'actions', 'data-testid': 'header-actions' },
        abilities.models ? button('Re-run', () => this.host.command('rerun'), { secondary: true, testId: 'rerun', title: "Analyse this run's prompt again with the current settings" }) : null,
        button('Report JSON', () => this.exportFile('json', jsonName(this.run)), { secondary: true, testId: 'export-json', title: 'Save the whole report (sink-lens/report@1) as JSON' }),
        abilities.models ? button('Select Model…', () => this.host.command('selectModel'), { secondary: true, testId: 'select-model' }) : null,
        abilities.reason ? h('p', { class: 'hint host-note', 'data-testid': 'host-note' }, abilities.reason) : null,
      ),
    );
  }

  private focusToken(token: number): void {
    this.setView({ focusedToken: token });
    this.tokenStrip.render(this.run.report.tokens, this.run.meanReceived, token);
    this.map.heatmap.focusToken(token);
    this.renderTokenDetails();
  }

  private showHover(token: number | null): void {
    const entry = token === null ? undefined : this.run.report.tokens[token];
    const shown = entry ? displayToken(entry.text) : '';
    this.hoverLine.textContent = entry ? `#${token} · id ${entry.id} · ${JSON.stringify(shown)}${shown !== entry.text ? ` (${entry.text})` : ''}${token === 0 ? ' · P0' : ''}` : '';
  }

  private renderTokenDetails(): void {
    const index = this.view.focusedToken;
    const { runId } = this.run;
    const details = index === null ? null : tokenDetails(this.run, index, this.host.abilities.editor ? () => this.host.revealToken(runId, index) : null);
    this.tokenDetailsBox.replaceChildren(...(details ?? []));
  }

  private selectionChanged(heads: HeadRef[]): void {
    this.setView({ selectedHeads: heads });
    this.ablation.showSelection(heads);
  }

  private exportFile(kind: 'png' | 'json' | 'csv', name: string, data?: string): void {
    this.host.exportFile(kind, name, data).then(
      ({ path }) => path && (this.progressLine.textContent = `Saved ${path}`),
      (error: Error) => (this.progressLine.textContent = `Could not save: ${error.message}`),
    );
  }

  private exportPng(part: string, dataUrl: string | null): void {
    if (dataUrl) this.exportFile('png', pngName(this.run, part), dataUrl);
  }

  private exportCsv(table: CsvTable): void {
    this.exportFile('csv', csvName(this.run, table), csvOf(this.run, table));
  }
}
