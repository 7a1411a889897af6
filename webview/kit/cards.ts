/**
 * The building blocks of every panel's page: a titled card, an explanation, a chart's box, number
 * cells that tests read exactly (data-value), a shaded cell, a row of buttons.
 */
import { h } from './dom';
import { isNumber } from './format';
import { blend, readTheme } from './theme';

type Child = Node | string | null | undefined | false;

/** A titled section; `id` names it for styles, screen readers (its heading) and tests. */
export function card(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('section', { class: `card ${id}`, 'aria-labelledby': `${id}-title`, 'data-testid': id }, h('h2', { id: `${id}-title` }, title), ...children);
}

export function explain(...sentences: string[]): HTMLElement {
  return h('p', { class: 'explain', 'data-testid': 'explain' }, sentences.join(' '));
}

export function chartBox(canvas: HTMLCanvasElement, className = ''): HTMLElement {
  return h('div', { class: `chart-box ${className}` }, canvas);
}

export function buttonRow(...buttons: HTMLElement[]): HTMLElement {
  return h('div', { class: 'row-actions' }, ...buttons);
}

/** A number table cell that tests can read exactly (data-value), with an optional change beside it. */
export function numberCell(testId: string | undefined, value: number | null | undefined, text: string, extra = ''): HTMLElement {
  return h('td', { 'data-testid': testId, 'data-value': isNumber(value) ? String(value) : '', class: 'num' }, text, extra ? h('span', { class: 'delta' }, extra) : null);
}

/** A labelled number of a definition list, readable by tests (data-value). */
export function stat(label: string, testId: string, value: string, raw: number | null, hint?: string): HTMLElement {
  return h('div', { class: 'stat', title: hint }, h('dt', {}, label), h('dd', { 'data-testid': testId, 'data-value': raw === null || !Number.isFinite(raw) ? '' : String(raw) }, value));
}

/** Background for a value in [0, 1] (0: editor background, 1: `color`), and a readable text colour. */
export function shadeCell(cell: HTMLElement, t: number, color = readTheme().accent): void {
  const theme = readTheme();
  const clamped = Math.max(0, Math.min(1, t));
  // Squared, so that the high values (a converged P0, a sink) stand out from the middling ones.
  const [r, g, b] = blend(theme.background, color, 0.06 + 0.94 * clamped * clamped);
  cell.style.setProperty('background-color', `rgb(${r}, ${g}, ${b})`);
  cell.style.setProperty('color', readableOn(r, g, b));
}

/** White or near-black text, whichever reads on this background. */
export function readableOn(r: number, g: number, b: number): string {
  return 0.299 * r + 0.587 * g + 0.114 * b < 140 ? '#ffffff' : '#1e1e1e';
}
