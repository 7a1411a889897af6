/**
 * The depth x step heat map of the P0 norm ratio, painted on a canvas (rows: depths, depth 0 at the
 * bottom; columns: checkpoints), with a hover read-out; clicking a column selects its checkpoint.
 */
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { readableOn } from '../kit/cards';
import { pngOf, withAlpha } from '../kit/chart';
import { h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import { blend, readTheme } from '../kit/theme';
import { stepLabel } from './steps';

export class DepthStepHeatmap {
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

  constructor(private readonly onSelect: (index: number) => void) {
    this.canvas.addEventListener('mousemove', (event) => this.hover(event));
    this.canvas.addEventListener('mouseleave', () => (this.readout.textContent = 'Hover a cell to read its value; click a column to select that checkpoint.'));
    this.canvas.addEventListener('click', (event) => {
      const cell = this.cellAt(event);
      if (cell) this.onSelect(cell.column);
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
          context.fillStyle = readableOn(r, g, b);
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
