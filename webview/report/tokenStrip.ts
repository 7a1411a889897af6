/**
 * Every token of the prompt, shaded by the attention it receives. Its whole surface is
 * `render(tokens, shading, selection)` plus the `onSelect` / `onHover` handlers. Virtualised: the
 * tokens are laid out in rows from measured text widths (tokenRows.ts), and only the rows in view
 * (and a few around them) are in the DOM, so a 2048-token prompt costs a few hundred buttons, not
 * 2048. One Tab stop: the active token's button, or the strip itself while that token is scrolled
 * out of view (focusing the strip brings it back); the arrows, Home and End move along the tokens,
 * Enter or Space selects the one focused, as a click does.
 */
import { displayToken } from '../../src/protocol/tokenText';
import { h } from '../kit/dom';
import { formatNumber } from '../kit/format';
import { recordTiming } from '../kit/timings';
import { layoutRows, rowsInView, type TokenKind, type TokenRows } from './tokenRows';

export interface StripToken {
  id: number;
  text: string;
  special: boolean;
}

let measuring: CanvasRenderingContext2D | null = null;
/** Widths measured, by font and text: a prompt repeats its tokens. */
const widths = new Map<string, number>();

/** The width of a token's text in a font, as the canvas measures it (no layout). */
function textWidth(text: string, font: string): number {
  const key = `${font}\n${text}`;
  let width = widths.get(key);
  if (width !== undefined) return width;
  measuring ??= document.createElement('canvas').getContext('2d');
  if (!measuring) return text.length * 8;
  if (measuring.font !== font) measuring.font = font;
  width = measuring.measureText(text).width;
  if (widths.size > 50_000) widths.clear();
  widths.set(key, width);
  return width;
}

export interface TokenStripHandlers {
  /** A token was clicked (or chosen from the keyboard). */
  onSelect(index: number): void;
  /** The pointer or the keyboard focus is on a token (null: on none). */
  onHover(index: number | null): void;
}

/** Rows drawn above and below the ones in view, so that a short scroll shows tokens at once. */
const OVERSCAN_ROWS = 2;

export class TokenStrip {
  readonly element: HTMLElement;
  /** Holds the drawn rows at their place; its height is that of all rows. */
  private readonly space = h('div', { class: 'token-space' });
  private tokens: readonly StripToken[] = [];
  private shading: ArrayLike<number> | null = null;
  private max = 0;
  private selection: number | null = null;
  /** The token holding the strip's one Tab stop. */
  private active = 0;
  private rows: TokenRows | null = null;
  /** The strip's content width, as last observed (0 before it is shown). */
  private width = 0;
  /** The buttons in the DOM, by token index. */
  private readonly drawn = new Map<number, HTMLButtonElement>();
  private readonly rowElements = new Map<number, HTMLElement>();

  constructor(private readonly handlers: TokenStripHandlers) {
    this.element = h('div', { class: 'token-strip', role: 'listbox', 'aria-label': 'Prompt tokens, shaded by the attention each receives' }, this.space);
    this.element.addEventListener('mouseleave', () => this.handlers.onHover(null));
    this.element.addEventListener('mouseover', (event) => this.onPointer(event));
    this.element.addEventListener('click', (event) => {
      const index = this.indexOf(event.target);
      if (index !== null) this.choose(index);
    });
    this.element.addEventListener('focusin', (event) => this.onFocus(event));
    this.element.addEventListener('keydown', (event) => this.onKey(event));
    this.element.addEventListener('scroll', () => this.drawRows());
    // Laid out once the strip has a width (it is built before the page is shown), and again when that
    // changes; the width comes with the observation, so reading it forces no layout.
    new ResizeObserver((entries) => {
      this.width = entries[0]?.contentRect.width ?? 0;
      this.layout();
    }).observe(this.element);
  }

  /** Shows these tokens; shading[t] = attention token t receives (null while it is computed); selection: the focused token. */
  render(tokens: readonly StripToken[], shading: ArrayLike<number> | null, selection: number | null): void {
    const changed = tokens !== this.tokens;
    this.tokens = tokens;
    this.shading = shading;
    this.max = 0;
    if (shading) for (let t = 0; t < shading.length; t++) if (shading[t] > this.max) this.max = shading[t];
    this.selection = selection;
    if (changed) {
      this.active = 0;
      this.rows = null;
      this.clear();
      this.layout();
    }
    if (selection !== null) this.active = selection;
    for (const [index, button] of this.drawn) this.paint(button, index);
    this.updateTabStop();
  }

  /** Brings the token into view (the panel was asked to show it). */
  reveal(index: number): void {
    if (!this.rows || index < 0 || index >= this.tokens.length) return;
    const top = this.rows.rowOf[index] * this.rows.rowHeight;
    const view = this.element;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + this.rows.rowHeight > view.scrollTop + view.clientHeight) view.scrollTop = top + this.rows.rowHeight - view.clientHeight;
    this.drawRows();
  }

  private layout(): void {
    const { width } = this;
    if (width <= 0 || this.tokens.length === 0) return;
    if (this.rows && this.rows.width === width) return;
    const kinds = this.measureKinds();
    this.rows = layoutRows(this.tokens, width, (special, p0) => kinds.get(`${special}:${p0}`)!, textWidth);
    this.space.style.height = `${this.rows.count * this.rows.rowHeight}px`;
    this.clear();
    this.drawRows();
  }

  /** Draws the rows in view, keeping the buttons already drawn (a focused one keeps its focus). */
  private drawRows(): void {
    const rows = this.rows;
    if (!rows) return;
    const [first, last] = rowsInView(rows, this.element.scrollTop, this.element.clientHeight, OVERSCAN_ROWS);
    for (const [row, element] of this.rowElements) {
      if (row >= first && row <= last) continue;
      for (let index = rows.rowStart[row]; index < rows.rowStart[row + 1]; index++) this.drawn.delete(index);
      element.remove();
      this.rowElements.delete(row);
    }
    for (let row = first; row <= last; row++) {
      if (this.rowElements.has(row)) continue;
      const buttons: HTMLButtonElement[] = [];
      for (let index = rows.rowStart[row]; index < rows.rowStart[row + 1]; index++) {
        const button = this.button(index);
        this.drawn.set(index, button);
        buttons.push(button);
      }
      const element = h('div', { class: 'token-row' }, ...buttons);
      // Through the CSSOM: the webview's content security policy refuses style attributes.
      element.style.top = `${row * rows.rowHeight}px`;
      this.rowElements.set(row, element);
      this.space.append(element);
    }
    this.updateTabStop();
  }

  private button(index: number): HTMLButtonElement {
    const token = this.tokens[index];
    const button = h(
      'button',
      {
        class: `token${index === 0 ? ' p0' : ''}${token.special ? ' special' : ''}`,
        role: 'option',
        'data-index': index,
        'data-testid': `token-${index}`,
        'aria-posinset': index + 1,
        'aria-setsize': this.tokens.length,
      },
      displayToken(token.text),
    );
    this.paint(button, index);
    return button;
  }

  private paint(button: HTMLButtonElement, index: number): void {
    const { shading, max } = this;
    const value = shading ? shading[index] : NaN;
    const strength = max > 0 && Number.isFinite(value) ? Math.sqrt(value / max) : 0;
    button.style.setProperty('--strength', strength.toFixed(3));
    const token = this.tokens[index];
    button.title = `#${index} · id ${token.id} · ${JSON.stringify(token.text)}${shading ? ` · attention received ${formatNumber(value, 4)}` : ''}`;
    button.setAttribute('aria-selected', String(index === this.selection));
    button.classList.toggle('focused', index === this.selection);
  }

  /** The active token's button is the Tab stop; while it is not drawn, the strip is. */
  private updateTabStop(): void {
    for (const [index, button] of this.drawn) button.tabIndex = index === this.active ? 0 : -1;
    this.element.tabIndex = this.drawn.has(this.active) ? -1 : 0;
  }

  private clear(): void {
    this.drawn.clear();
    this.rowElements.clear();
    this.space.replaceChildren();
  }

  /**
   * Each kind of button's padding and border, font (as canvas text) and height, read from probe
   * buttons all at once: one layout for all of them.
   */
  private measureKinds(): Map<string, TokenKind> {
    const probes = [false, true].flatMap((special) => [false, true].map((p0) => ({ key: `${special}:${p0}`, empty: this.probe(special, p0, ''), filled: this.probe(special, p0, 'x') })));
    this.space.append(...probes.flatMap(({ empty, filled }) => [empty, filled]));
    const kinds = new Map<string, TokenKind>();
    for (const { key, empty, filled } of probes) {
      const style = getComputedStyle(empty);
      kinds.set(key, {
        extra: empty.getBoundingClientRect().width,
        font: `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`,
        height: filled.getBoundingClientRect().height,
      });
    }
    for (const { empty, filled } of probes) {
      empty.remove();
      filled.remove();
    }
    return kinds;
  }

  private probe(special: boolean, p0: boolean, text: string): HTMLButtonElement {
    return h('button', { class: `token token-probe${p0 ? ' p0' : ''}${special ? ' special' : ''}` }, text);
  }

  private indexOf(target: EventTarget | null): number | null {
    const button = target instanceof Element ? target.closest<HTMLElement>('.token') : null;
    return button?.dataset.index === undefined ? null : Number(button.dataset.index);
  }

  private onPointer(event: MouseEvent): void {
    const index = this.indexOf(event.target);
    if (index === null) return;
    this.handlers.onHover(index);
    recordTiming('tokenHover', event.timeStamp);
  }

  private onFocus(event: FocusEvent): void {
    if (event.target === this.element) {
      // The strip itself took the Tab stop: hand it to the active token, brought into view.
      this.focusToken(this.active);
      return;
    }
    const index = this.indexOf(event.target);
    if (index !== null) this.handlers.onHover(index);
  }

  private choose(index: number): void {
    this.active = index;
    this.handlers.onSelect(index);
  }

  private onKey(event: KeyboardEvent): void {
    const last = this.tokens.length - 1;
    const targets: Record<string, number> = { ArrowLeft: this.active - 1, ArrowRight: this.active + 1, ArrowUp: this.active - 1, ArrowDown: this.active + 1, Home: 0, End: last };
    const target = targets[event.key];
    if (target === undefined || last < 0) return;
    event.preventDefault();
    this.focusToken(Math.max(0, Math.min(last, target)));
  }

  private focusToken(index: number): void {
    this.active = index;
    this.reveal(index);
    this.updateTabStop();
    this.drawn.get(index)?.focus();
  }
}
