/**
 * The heat map's axes and colour scale: which tokens get a label at the map's size on screen
 * (every one when a row is tall enough to read, else every 2nd, 5th, 10th … with position 0
 * always), the labels drawn beside the rows (queries, ↓) and above the columns (keys, →), and the
 * ticks of the colour scale, placed as the square-root ramp places the colours. The label choice and
 * the ticks are pure (unit-tested); the drawing takes a canvas.
 */
import { displayToken } from '../../src/protocol/tokenText';

/** Smallest row height, in CSS pixels, at which a label sits beside every row. */
const LABEL_EVERY_ROW_PX = 12;
/** Room a label needs along the axis, in CSS pixels, when only some rows get one. */
const LABEL_SPACING_PX = 16;
const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/** The token indices that get a label on an axis of `tokens` cells, each `cellPx` CSS pixels long. */
export function labelledIndices(tokens: number, cellPx: number): number[] {
  if (tokens <= 0) return [];
  const step = cellPx >= LABEL_EVERY_ROW_PX ? 1 : (STEPS.find((candidate) => candidate * cellPx >= LABEL_SPACING_PX) ?? STEPS[STEPS.length - 1]);
  const indices: number[] = [];
  for (let index = 0; index < tokens; index += step) indices.push(index);
  return indices;
}

/** A label: the token's position and its text, shortened. */
export function axisLabel(index: number, text: string, maxChars = 12): string {
  const shown = displayToken(text);
  return `${index} ${shown.length > maxChars ? `${shown.slice(0, maxChars - 1)}…` : shown}`;
}

/** Ticks of the colour scale for values 0 … max: where each sits along the ramp (0 … 1, the ramp is a square root) and its text. */
export function scaleTicks(max: number): { at: number; text: string }[] {
  if (!(max > 0)) return [{ at: 0, text: '0' }];
  const digits = max >= 0.1 ? 2 : 3;
  return [0, 0.1, 0.25, 0.5, 1].map((fraction) => ({ at: Math.sqrt(fraction), text: (fraction * max).toFixed(fraction === 0 ? 0 : digits) }));
}

/**
 * The labels an axis shows: the regular ones, and the marked tokens' (the cursor's, the focused
 * one) in place of any regular label too close to them to be read beside it.
 */
export function shownLabels(tokens: number, cellPx: number, marked: ReadonlySet<number>): Set<number> {
  const marks = [...marked].filter((index) => index >= 0 && index < tokens);
  const clear = (index: number) => marks.every((mark) => mark === index || Math.abs(mark - index) * cellPx >= LABEL_SPACING_PX);
  return new Set([...labelledIndices(tokens, cellPx).filter(clear), ...marks]);
}

export interface AxisStyle {
  color: string;
  highlight: string;
  font: string;
}

/**
 * Draws the labels of one axis: 'rows' right-aligned beside each labelled row, 'columns' upright
 * (read bottom to top) above each labelled column. `length` is the map's side in CSS pixels; `marked` tokens (the cursor's
 * query or key, the focused token) are drawn in the highlight colour.
 */
export function drawAxis(canvas: HTMLCanvasElement, axis: 'rows' | 'columns', texts: readonly string[], length: number, style: AxisStyle, marked: ReadonlySet<number>): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  // Resized only when the size changed: setting it reallocates the canvas, on every pointer move otherwise.
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext('2d');
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const tokens = texts.length;
  if (tokens === 0 || length <= 0) return;
  const cell = length / tokens;
  const indices = shownLabels(tokens, cell, marked);
  context.font = style.font;
  context.textBaseline = 'middle';
  for (const index of indices) {
    context.fillStyle = marked.has(index) ? style.highlight : style.color;
    const centre = (index + 0.5) * cell;
    const text = axisLabel(index, texts[index]);
    if (axis === 'rows') {
      context.textAlign = 'right';
      context.fillText(text, width - 4, centre, width - 6);
    } else {
      context.save();
      context.translate(centre, height - 4);
      context.rotate(-Math.PI / 2);
      context.textAlign = 'left';
      context.fillText(text, 0, 0, height - 6);
      context.restore();
    }
  }
}
