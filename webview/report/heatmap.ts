/**
 * The attention heat map of one layer (one head or the head mean). Pixels are painted once into an
 * offscreen canvas at T x T and scaled onto the visible one; hovering reads the value from the
 * indices, never from pixels, so a 2048 x 2048 map stays responsive.
 */
import { displayToken } from '../../src/protocol/tokenText';
import { h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import { blend, colorRamp, readTheme } from '../kit/theme';
import { cellAt, maxOf, maxPool, paintAttention, paintPooled } from './heatmapPixels';

/** Largest offscreen bitmap side; bigger maps are max-pooled down to it. */
const MAX_PIXELS = 2048;

export interface HeatmapData {
  layer: number;
  /** -1 = mean over heads. */
  head: number;
  tokens: number;
  /** [query][key] */
  data: Float32Array;
}

export class Heatmap {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private offscreen: HTMLCanvasElement | null = null;
  private map: HeatmapData | null = null;
  private cursor: { query: number; key: number } | null = null;
  private focusedToken: number | null = null;
  private tokenTexts: string[] = [];
  private max = 1;
  /** Tokens per pixel side when the map was pooled, else 1. */
  private pooled = 1;

  constructor() {
    this.canvas = h('canvas', {
      class: 'heatmap-canvas',
      tabindex: 0,
      role: 'img',
      'aria-label': 'Attention heat map: rows are queries, columns are keys. Arrow keys move (Shift: by 10), Page Up/Down by a tenth, Home to key 0, End to the diagonal.',
    });
    this.readout = h('p', { class: 'readout', 'aria-live': 'polite', 'data-testid': 'heatmap-readout' }, 'Hover over the map (or focus it and use the arrow keys) to read a value.');
    this.element = h('div', { class: 'heatmap' }, this.canvas, this.readout);
    this.canvas.addEventListener('mousemove', (event) => this.onPointer(event));
    this.canvas.addEventListener('mouseleave', () => this.drawOverlay());
    this.canvas.addEventListener('keydown', (event) => this.onKey(event));
    new ResizeObserver(() => this.draw()).observe(this.element);
  }

  setTokens(texts: string[]): void {
    this.tokenTexts = texts;
  }

  setMap(map: HeatmapData | null): void {
    this.map = map;
    this.cursor = null;
    this.rebuild();
  }

  get shown(): { layer: number; head: number } | null {
    return this.map ? { layer: this.map.layer, head: this.map.head } : null;
  }

  focusToken(token: number | null): void {
    this.focusedToken = token;
    this.drawOverlay();
  }

  /** Repaints with the current theme's colours. */
  rebuild(): void {
    if (!this.map) {
      this.offscreen = null;
      this.draw();
      return;
    }
    const { data: matrix, tokens } = this.map;
    this.max = maxOf(matrix);
    const theme = readTheme();
    const lut = colorRamp(theme.background, theme.accent);
    // Future keys (masked by causality) in a quiet tint of the background, whatever the theme.
    const masked = blend(theme.background, theme.foreground, 0.08);
    // More tokens than device pixels: blocks are max-pooled to the canvas's own resolution, so no
    // second (nearest-neighbour) scaling can drop a one-column sink.
    const size = Math.min(tokens, MAX_PIXELS, this.backingSize());
    const offscreen = this.offscreen ?? document.createElement('canvas');
    offscreen.width = size;
    offscreen.height = size;
    const context = offscreen.getContext('2d')!;
    const image = context.createImageData(size, size);
    if (size === tokens) paintAttention(matrix, tokens, lut, masked, image.data, this.max);
    else paintPooled(maxPool(matrix, tokens, size), size, lut, masked, image.data, this.max);
    this.pooled = size < tokens ? Math.ceil(tokens / size) : 1;
    context.putImageData(image, 0, 0);
    this.offscreen = offscreen;
    this.draw();
  }

  private backingSize(): number {
    return Math.round(this.size() * (window.devicePixelRatio || 1));
  }

  private size(): number {
    const width = this.element.clientWidth || 480;
    return Math.max(160, Math.min(width, 720));
  }

  private draw(): void {
    const backing = this.backingSize();
    if (this.canvas.width !== backing) {
      this.canvas.width = backing;
      this.canvas.height = backing;
      // A pooled map was made for the old resolution: pool again (rare: only on resize).
      if (this.map && this.pooled > 1) {
        this.rebuild();
        return;
      }
    }
    this.canvas.classList.toggle('empty', !this.offscreen);
    this.drawOverlay();
  }

  private drawOverlay(): void {
    const context = this.canvas.getContext('2d');
    if (!context) return;
    const width = this.canvas.width;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, width, width);
    if (!this.offscreen || !this.map) return;
    context.imageSmoothingEnabled = false;
    context.drawImage(this.offscreen, 0, 0, width, width);
    const cell = width / this.map.tokens;
    const theme = readTheme();
    context.lineWidth = Math.max(1, window.devicePixelRatio || 1);
    if (this.focusedToken !== null && this.focusedToken < this.map.tokens) {
      context.strokeStyle = theme.second;
      context.strokeRect(0, this.focusedToken * cell, width, cell);
      context.strokeRect(this.focusedToken * cell, 0, cell, width);
    }
    if (this.cursor) {
      context.strokeStyle = theme.focus;
      context.strokeRect(this.cursor.key * cell, this.cursor.query * cell, Math.max(cell, 2), Math.max(cell, 2));
    }
  }

  private onPointer(event: MouseEvent): void {
    if (!this.map) return;
    // Relative to the content box (the border is not part of the map).
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left - this.canvas.clientLeft;
    const y = event.clientY - rect.top - this.canvas.clientTop;
    const cell = cellAt(x, y, this.canvas.clientWidth, this.map.tokens);
    if (!cell) return;
    this.cursor = cell;
    this.showReadout();
  }

  private onKey(event: KeyboardEvent): void {
    if (!this.map) return;
    const last = this.map.tokens - 1;
    const cursor = this.cursor ?? { query: 0, key: 0 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const clamp = (value: number) => Math.max(0, Math.min(last, value));
    if (event.key === 'Home') this.cursor = { query: cursor.query, key: 0 };
    else if (event.key === 'End') this.cursor = { query: cursor.query, key: cursor.query };
    else if (event.key === 'PageDown' || event.key === 'PageUp') {
      const page = Math.max(1, Math.round(this.map.tokens / 10)) * (event.key === 'PageDown' ? 1 : -1);
      this.cursor = { query: clamp(cursor.query + page), key: Math.min(cursor.key, clamp(cursor.query + page)) };
    } else {
      const move = moves[event.key];
      if (!move) return;
      const step = event.shiftKey ? 10 : 1;
      this.cursor = { query: clamp(cursor.query + move[0] * step), key: clamp(cursor.key + move[1] * step) };
    }
    event.preventDefault();
    this.showReadout();
  }

  private showReadout(): void {
    if (!this.map || !this.cursor) return;
    const { query, key } = this.cursor;
    const tokens = this.map.tokens;
    const value = key > query ? null : this.map.data[query * tokens + key];
    const headLabel = this.map.head >= 0 ? `head ${this.map.head}` : 'mean of heads';
    const text = (index: number) => JSON.stringify(displayToken(this.tokenTexts[index] ?? ''));
    this.readout.textContent =
      value === null
        ? `Query ${query} ${text(query)} cannot see key ${key} ${text(key)} (a later position; causal mask).`
        : `Layer ${this.map.layer}, ${headLabel}: query ${query} ${text(query)} → key ${key} ${text(key)}: ${formatNumber(value, 4)}` +
          (this.pooled > 1 ? ` (colours show the largest value of each ${this.pooled} x ${this.pooled} block)` : '');
    this.drawOverlay();
  }

  toPng(): string | null {
    return this.offscreen ? this.canvas.toDataURL('image/png') : null;
  }
}
