/**
 * Every token of the prompt, shaded by the attention it receives. Its whole surface is
 * `render(tokens, shading, selection)` plus the `onSelect` / `onHover` handlers, so that how the
 * tokens are drawn (all of them in the DOM now; only the visible ones later) can change without
 * touching the state that decides what they show. One Tab stop: the arrows, Home and End move
 * along the tokens, Enter or Space selects the one focused, as a click does.
 */
import { displayToken } from '../../src/protocol/tokenText';
import { h } from '../kit/dom';
import { formatNumber } from '../kit/format';

export interface StripToken {
  id: number;
  text: string;
  special: boolean;
}

export interface TokenStripHandlers {
  /** A token was clicked (or chosen from the keyboard). */
  onSelect(index: number): void;
  /** The pointer or the keyboard focus is on a token (null: on none). */
  onHover(index: number | null): void;
}

export class TokenStrip {
  readonly element: HTMLElement;
  private buttons: HTMLButtonElement[] = [];
  private tokens: readonly StripToken[] = [];
  /** The token holding the strip's one Tab stop. */
  private active = 0;

  constructor(private readonly handlers: TokenStripHandlers) {
    this.element = h('div', { class: 'token-strip', role: 'listbox', 'aria-label': 'Prompt tokens, shaded by the attention each receives' });
    this.element.addEventListener('mouseleave', () => this.handlers.onHover(null));
    this.element.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** Shows these tokens; shading[t] = attention token t receives (null while it is computed); selection: the focused token. */
  render(tokens: readonly StripToken[], shading: ArrayLike<number> | null, selection: number | null): void {
    if (tokens !== this.tokens) this.build(tokens);
    let max = 0;
    if (shading) for (let t = 0; t < shading.length; t++) max = Math.max(max, shading[t]);
    this.buttons.forEach((button, index) => {
      const value = shading ? shading[index] : NaN;
      const strength = max > 0 && Number.isFinite(value) ? Math.sqrt(value / max) : 0;
      button.style.setProperty('--strength', strength.toFixed(3));
      const token = tokens[index];
      button.title = `#${index} · id ${token.id} · ${JSON.stringify(token.text)}${shading ? ` · attention received ${formatNumber(value, 4)}` : ''}`;
      button.setAttribute('aria-selected', String(index === selection));
      button.classList.toggle('focused', index === selection);
    });
    if (selection !== null) this.active = selection;
    this.buttons.forEach((button, index) => (button.tabIndex = index === this.active ? 0 : -1));
  }

  /** Brings the token into view (the panel was asked to show it). */
  reveal(index: number): void {
    this.buttons[index]?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  private build(tokens: readonly StripToken[]): void {
    this.tokens = tokens;
    this.active = 0;
    this.buttons = tokens.map((token, index) => {
      const button = h(
        'button',
        { class: `token${index === 0 ? ' p0' : ''}${token.special ? ' special' : ''}`, role: 'option', 'data-index': index, 'data-testid': `token-${index}` },
        displayToken(token.text),
      );
      button.addEventListener('click', () => this.choose(index));
      button.addEventListener('mouseenter', () => this.handlers.onHover(index));
      button.addEventListener('focus', () => this.handlers.onHover(index));
      return button;
    });
    this.element.replaceChildren(...this.buttons);
  }

  private choose(index: number): void {
    this.active = index;
    this.handlers.onSelect(index);
  }

  private onKey(event: KeyboardEvent): void {
    const last = this.buttons.length - 1;
    const targets: Record<string, number> = { ArrowLeft: this.active - 1, ArrowRight: this.active + 1, ArrowUp: this.active - 1, ArrowDown: this.active + 1, Home: 0, End: last };
    const target = targets[event.key];
    if (target === undefined || last < 0) return;
    event.preventDefault();
    this.active = Math.max(0, Math.min(last, target));
    this.buttons.forEach((button, index) => (button.tabIndex = index === this.active ? 0 : -1));
    this.buttons[this.active].focus();
  }
}
