/**
 * The layer x head grid of sinkScore: each cell is a button (keyboard reachable) that opens that
 * layer and head in the heat map. Cells above ε are outlined as sinks; cells at or below twice the
 * uniform baseline are faded, since a head spreading attention evenly would score that much.
 */
import { formatNumber, h } from './dom';
import { readTheme } from './theme';

export interface GridInput {
  sinkScore: number[][];
  epsilon: number;
  uniformBaseline: number;
}

export class SinkGrid {
  readonly element: HTMLElement;
  private input: GridInput | null = null;
  private selected: { layer: number; head: number } | null = null;

  constructor(private readonly onSelect: (layer: number, head: number) => void) {
    this.element = h('div', { class: 'sink-grid' });
  }

  set(input: GridInput): void {
    this.input = input;
    this.render();
  }

  select(layer: number, head: number): void {
    this.selected = { layer, head };
    for (const cell of this.element.querySelectorAll<HTMLButtonElement>('button[data-layer]')) {
      const on = Number(cell.dataset.layer) === layer && Number(cell.dataset.head) === head;
      cell.setAttribute('aria-pressed', String(on));
    }
  }

  private render(): void {
    const input = this.input;
    if (!input) return;
    const heads = input.sinkScore[0]?.length ?? 0;
    const headRow = h('tr', {}, h('th', { scope: 'col' }, 'layer'), ...Array.from({ length: heads }, (_, head) => h('th', { scope: 'col' }, `h${head}`)), h('th', { scope: 'col', class: 'mean' }, 'mean'));
    const rows = input.sinkScore.map((scores, layer) => {
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      return h(
        'tr',
        {},
        h('th', { scope: 'row' }, String(layer)),
        ...scores.map((score, head) => {
          const button = h(
            'button',
            {
              class: `cell ${classFor(score, input)}`,
              'data-layer': layer,
              'data-head': head,
              'data-testid': `sink-cell-${layer}-${head}`,
              'aria-pressed': 'false',
              title: `Layer ${layer}, head ${head}: sinkScore ${formatNumber(score, 4)} — ${describe(score, input)}. Click to open its attention map.`,
            },
            formatNumber(score, 2),
          );
          button.style.setProperty('--strength', String(Math.max(0, Math.min(1, score))));
          button.addEventListener('click', () => this.onSelect(layer, head));
          return h('td', {}, button);
        }),
        h('td', { class: `mean ${classFor(mean, input)}`, 'data-testid': `sink-mean-${layer}` }, formatNumber(mean, 2)),
      );
    });
    const table = h('table', { class: 'grid', 'aria-label': 'sinkScore by layer and head' }, h('thead', {}, headRow), h('tbody', {}, ...rows));
    this.element.replaceChildren(table);
    if (this.selected) this.select(this.selected.layer, this.selected.head);
  }

  /** The grid painted on a canvas, for the PNG export. */
  toPng(): string | null {
    const input = this.input;
    if (!input) return null;
    const theme = readTheme();
    const layers = input.sinkScore.length;
    const heads = input.sinkScore[0]?.length ?? 0;
    const cell = 44;
    const margin = 56;
    const canvas = document.createElement('canvas');
    canvas.width = margin + heads * cell + 16;
    canvas.height = margin + layers * cell + 40;
    const context = canvas.getContext('2d')!;
    context.fillStyle = theme.background;
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.font = '12px sans-serif';
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.fillStyle = theme.muted;
    for (let head = 0; head < heads; head++) context.fillText(`h${head}`, margin + head * cell + cell / 2, margin - 14);
    for (let layer = 0; layer < layers; layer++) {
      context.fillStyle = theme.muted;
      context.fillText(`L${layer}`, margin - 22, margin + layer * cell + cell / 2);
      for (let head = 0; head < heads; head++) {
        const score = input.sinkScore[layer][head];
        const x = margin + head * cell;
        const y = margin + layer * cell;
        context.globalAlpha = 0.15 + 0.85 * Math.max(0, Math.min(1, score));
        context.fillStyle = theme.accent;
        context.fillRect(x + 1, y + 1, cell - 2, cell - 2);
        context.globalAlpha = 1;
        if (score > input.epsilon) {
          context.strokeStyle = theme.foreground;
          context.lineWidth = 2;
          context.strokeRect(x + 2, y + 2, cell - 4, cell - 4);
        }
        context.fillStyle = theme.foreground;
        context.fillText(formatNumber(score, 2), x + cell / 2, y + cell / 2);
      }
    }
    context.textAlign = 'left';
    context.fillStyle = theme.muted;
    context.fillText(`sinkScore · outlined: > ε = ${input.epsilon} · uniform baseline ${formatNumber(input.uniformBaseline, 3)}`, 8, canvas.height - 18);
    return canvas.toDataURL('image/png');
  }
}

function classFor(score: number, input: GridInput): string {
  if (score > input.epsilon) return 'sink';
  if (score <= 2 * input.uniformBaseline) return 'weak';
  return '';
}

function describe(score: number, input: GridInput): string {
  if (score > input.epsilon) return `a sink (above ε = ${input.epsilon})`;
  if (score <= 2 * input.uniformBaseline) return `no more than twice what a uniform head pays (${formatNumber(input.uniformBaseline, 3)})`;
  return `above the uniform baseline, below ε = ${input.epsilon}`;
}
