/**
 * The layer x head grid of sinkScore: each cell is a button that opens that layer and head in the
 * heat map. Cells above ε are outlined as sinks; cells at or below twice the uniform baseline are
 * faded, since a head spreading attention evenly would score that much.
 *
 * Heads are also selected here for "Ablate Selected Heads", as in a list: a click selects that head
 * alone (and opens its map), Ctrl/Cmd-click adds or removes it; from the keyboard, Space adds or
 * removes the focused head, Enter acts as a click, Escape clears, the arrows, Home and End move
 * (one Tab stop for the whole grid, so that a 32 x 32 grid is not 1024 Tab presses). A selected
 * cell is aria-pressed (a toggle button); the head whose map is shown is aria-current.
 */
import type { HeadRef } from '../../src/protocol/analyses';
import { h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import { readTheme } from '../kit/theme';

export interface GridInput {
  sinkScore: number[][];
  epsilon: number;
  uniformBaseline: number;
}

export interface GridHandlers {
  /** A plain click or Enter: show this head's attention map. */
  open(layer: number, head: number): void;
  /** The heads selected for ablation changed (sorted by layer, then head). */
  selectionChanged(heads: HeadRef[]): void;
}

const key = (layer: number, head: number) => `${layer}:${head}`;

export class SinkGrid {
  readonly element: HTMLElement;
  private input: GridInput | null = null;
  /** The head whose attention map is shown (null: none, or the mean of heads). */
  private shown: HeadRef | null = null;
  private readonly selection = new Set<string>();
  /** The cell that holds the grid's one Tab stop. */
  private active: HeadRef = { layer: 0, head: 0 };

  constructor(private readonly handlers: GridHandlers) {
    this.element = h('div', { class: 'sink-grid' });
  }

  set(input: GridInput): void {
    this.input = input;
    // A new run may have fewer layers or heads: keep only the heads it has.
    this.setSelection(this.selectedHeads(), false);
    this.active = { layer: Math.max(0, Math.min(this.active.layer, this.layers - 1)), head: Math.max(0, Math.min(this.active.head, this.heads - 1)) };
    this.render();
  }

  /** Marks the head whose map is shown (head -1, the mean of heads, marks none). */
  show(layer: number, head: number): void {
    this.shown = head >= 0 ? { layer, head } : null;
    this.paintStates();
  }

  selectedHeads(): HeadRef[] {
    return [...this.selection]
      .map((entry) => entry.split(':').map(Number))
      .map(([layer, head]) => ({ layer, head }))
      .sort((a, b) => a.layer - b.layer || a.head - b.head);
  }

  /** Replaces the selection (heads the grid does not have are dropped). */
  setSelection(heads: HeadRef[], notify = true): void {
    this.selection.clear();
    for (const { layer, head } of heads) if (!this.input || (layer < this.layers && head < this.heads)) this.selection.add(key(layer, head));
    this.paintStates();
    if (notify) this.handlers.selectionChanged(this.selectedHeads());
  }

  private get layers(): number {
    return this.input?.sinkScore.length ?? 0;
  }

  private get heads(): number {
    return this.input?.sinkScore[0]?.length ?? 0;
  }

  private toggle(layer: number, head: number): void {
    const entry = key(layer, head);
    if (!this.selection.delete(entry)) this.selection.add(entry);
    this.paintStates();
    this.handlers.selectionChanged(this.selectedHeads());
  }

  private cell(layer: number, head: number): HTMLButtonElement | null {
    return this.element.querySelector<HTMLButtonElement>(`button[data-layer="${layer}"][data-head="${head}"]`);
  }

  private moveTo(layer: number, head: number): void {
    if (this.layers === 0 || this.heads === 0) return;
    this.active = { layer: Math.max(0, Math.min(this.layers - 1, layer)), head: Math.max(0, Math.min(this.heads - 1, head)) };
    this.paintStates();
    this.cell(this.active.layer, this.active.head)?.focus();
  }

  private onKey(event: KeyboardEvent, layer: number, head: number): void {
    const moves: Record<string, [number, number]> = {
      ArrowUp: [layer - 1, head],
      ArrowDown: [layer + 1, head],
      ArrowLeft: [layer, head - 1],
      ArrowRight: [layer, head + 1],
      Home: [layer, 0],
      End: [layer, this.heads - 1],
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      this.moveTo(...move);
    } else if (event.key === ' ') {
      // Space toggles; the button's own Space action (a click on key-up) is cancelled by its keyup listener.
      event.preventDefault();
      if (!event.repeat) this.toggle(layer, head);
    } else if (event.key === 'Escape' && this.selection.size > 0) {
      event.preventDefault();
      this.setSelection([]);
    }
  }

  /** aria-pressed (selected), aria-current (map shown) and the roving tabindex, on the cells as they are. */
  private paintStates(): void {
    for (const cell of this.element.querySelectorAll<HTMLButtonElement>('button[data-layer]')) {
      const layer = Number(cell.dataset.layer);
      const head = Number(cell.dataset.head);
      cell.setAttribute('aria-pressed', String(this.selection.has(key(layer, head))));
      if (this.shown?.layer === layer && this.shown.head === head) cell.setAttribute('aria-current', 'true');
      else cell.removeAttribute('aria-current');
      cell.tabIndex = this.active.layer === layer && this.active.head === head ? 0 : -1;
    }
  }

  private render(): void {
    const input = this.input;
    if (!input) return;
    const heads = input.sinkScore[0]?.length ?? 0;
    const headRow = h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'layer'),
      ...Array.from({ length: heads }, (_, head) => h('th', { scope: 'col' }, `h${head}`)),
      h('th', { scope: 'col', class: 'mean' }, 'mean'),
    );
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
              title: `Layer ${layer}, head ${head}: sinkScore ${formatNumber(score, 4)} — ${describe(score, input)}. Click: select it alone and open its attention map; Ctrl/Cmd-click or Space: add it to or remove it from the heads to ablate.`,
            },
            formatNumber(score, 2),
          );
          button.style.setProperty('--strength', String(Math.max(0, Math.min(1, score))));
          button.addEventListener('click', (event) => {
            this.active = { layer, head };
            if (event.ctrlKey || event.metaKey) {
              this.toggle(layer, head);
              return;
            }
            this.setSelection([{ layer, head }]);
            this.handlers.open(layer, head);
          });
          button.addEventListener('keydown', (event) => this.onKey(event, layer, head));
          button.addEventListener('keyup', (event) => {
            if (event.key === ' ') event.preventDefault();
          });
          return h('td', {}, button);
        }),
        h('td', { class: `mean ${classFor(mean, input)}`, 'data-testid': `sink-mean-${layer}` }, formatNumber(mean, 2)),
      );
    });
    const table = h('table', { class: 'grid', 'aria-label': 'sinkScore by layer and head' }, h('thead', {}, headRow), h('tbody', {}, ...rows));
    this.element.replaceChildren(table);
    this.paintStates();
  }

  /** The grid painted on a canvas, for the PNG export. */
  toPng(): string | null {
    const input = this.input;
    if (!input) return null;
    const theme = readTheme();
    // As in the panel: a high-contrast theme's fills stay light enough for the numbers on them.
    const fill = theme.kind.startsWith('high-contrast') ? 0.2 : 0.85;
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
        context.globalAlpha = 0.15 + fill * Math.max(0, Math.min(1, score));
        context.fillStyle = theme.accent;
        context.fillRect(x + 1, y + 1, cell - 2, cell - 2);
        context.globalAlpha = 1;
        if (score > input.epsilon) {
          context.strokeStyle = theme.outline;
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
