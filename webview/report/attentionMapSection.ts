/**
 * The attention map of one layer's head (or the head mean): the layer and head pickers, the status
 * line, what the card will show before a map is asked for, and the heat map. A map is asked of the
 * host when the user opens one; a reply that comes after the user asked for another (or after the
 * page went, for another run) is dropped.
 */
import type { AttentionMapPayload } from '../../src/protocol/runReport';
import { button, h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import { recordNow, recordTiming } from '../kit/timings';
import { Heatmap } from './heatmap';
import type { RunView } from './runView';

type Select = HTMLElement & { value: string };

export interface MapRequests {
  /** The map of this run's layer and head (-1: mean of heads), from the host. */
  fetch(runId: string, layer: number, head: number): Promise<AttentionMapPayload>;
  /** The user opened a map: keep it in the panel's state, mark it in the sink grid. */
  opened(layer: number, head: number): void;
  exportPng(): void;
}

export class AttentionMapSection {
  readonly heatmap = new Heatmap();
  readonly status = h('p', { class: 'map-status', 'data-testid': 'map-status' });
  /** What the card will show, until a map is asked for (never an empty box). */
  readonly placeholder = h(
    'p',
    { class: 'map-placeholder', 'data-testid': 'map-placeholder' },
    'No map yet. Choose a layer and a head (or the mean of heads) and press Show map, or click a cell of the sink grid. ',
    'The map shows, for each query token (a row, ↓), how its attention is spread over the keys it can see (the columns, →), with the tokens labelled and a colour scale: ',
    'a bright first column is attention to position 0, the sink.',
  );
  private readonly layerSelect = document.createElement('vscode-single-select') as Select;
  private readonly headSelect = document.createElement('vscode-single-select') as Select;
  /** Counts the maps asked for: only the latest one's reply is shown. */
  private asked = 0;

  constructor(
    private readonly run: () => RunView | null,
    private readonly focusedToken: () => number | null,
    private readonly requests: MapRequests,
  ) {
    this.layerSelect.setAttribute('aria-label', 'Layer');
    this.headSelect.setAttribute('aria-label', 'Head');
    this.layerSelect.addEventListener('change', () => this.openFromPickers());
    this.headSelect.addEventListener('change', () => this.openFromPickers());
  }

  /** The pickers for a model of this size, set to the given layer and head once they are drawn. */
  setModel(layers: number, heads: number, layer: number, head: number): HTMLElement {
    this.layerSelect.replaceChildren(...Array.from({ length: layers }, (_, index) => option(String(index), `Layer ${index}`)));
    this.headSelect.replaceChildren(option('-1', 'Mean of heads'), ...Array.from({ length: heads }, (_, index) => option(String(index), `Head ${index}`)));
    requestAnimationFrame(() => this.setPickers(layer, head));
    return h(
      'div',
      { class: 'map-controls' },
      h('label', {}, 'Layer ', this.layerSelect),
      h('label', {}, 'Head ', this.headSelect),
      button('Show map', () => this.openFromPickers(), { testId: 'show-map' }),
      button('PNG', () => this.requests.exportPng(), { secondary: true, testId: 'export-map-png', title: 'Save the map as a PNG image' }),
    );
  }

  openFromPickers(): void {
    this.open(Number(this.layerSelect.value), Number(this.headSelect.value));
  }

  open(layer: number, head: number): void {
    const run = this.run();
    if (!run) return;
    this.requests.opened(layer, head);
    this.setPickers(layer, head);
    const shown = this.heatmap.shown;
    if (shown && shown.layer === layer && shown.head === head) {
      this.status.textContent = this.label(layer, head);
      return;
    }
    const asked = ++this.asked;
    const runId = run.runId;
    this.placeholder.hidden = true;
    this.status.textContent = `Computing layer ${layer}'s attention map…`;
    const started = performance.now();
    this.requests.fetch(runId, layer, head).then(
      (map) => {
        if (asked !== this.asked || this.run()?.runId !== runId || map.runId !== runId) return;
        const arrived = performance.now();
        this.heatmap.setMap({ layer: map.layer, head: map.head, tokens: map.tokens, data: map.data });
        this.heatmap.focusToken(this.focusedToken());
        this.status.textContent = this.label(map.layer, map.head);
        // Drawing the map it got (the script's part, and to the painted frame), and the whole wait
        // from the click (the host's extra pass included).
        recordNow('heatmapScript', arrived);
        recordTiming('heatmapDraw', arrived);
        recordTiming('heatmapAsked', started);
      },
      (error: Error) => {
        if (asked === this.asked) this.status.textContent = `Could not compute the map: ${error.message}`;
      },
    );
  }

  /** The page goes (another run): a reply still on its way is dropped. */
  dispose(): void {
    this.asked++;
  }

  private setPickers(layer: number, head: number): void {
    this.layerSelect.value = String(layer);
    this.headSelect.value = String(head);
  }

  private label(layer: number, head: number): string {
    const score = head >= 0 ? this.run()?.report.attention.sinkScore[layer]?.[head] : undefined;
    return `Layer ${layer}, ${head >= 0 ? `head ${head} (sinkScore ${formatNumber(score, 3)})` : 'mean of heads'}.`;
  }
}

function option(value: string, label: string): HTMLElement {
  const element = document.createElement('vscode-option');
  element.setAttribute('value', value);
  element.textContent = label;
  return element;
}
