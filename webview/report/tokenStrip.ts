/** Every token of the prompt, shaded by the attention it receives; clicking one focuses it. */
import { displayToken } from '../../src/protocol/tokenText';
import { h } from '../kit/dom';
import { formatNumber } from '../kit/format';

export interface StripToken {
  id: number;
  text: string;
  special: boolean;
}

export class TokenStrip {
  readonly element: HTMLElement;
  private buttons: HTMLButtonElement[] = [];
  private tokens: StripToken[] = [];

  constructor(private readonly onFocus: (token: number) => void) {
    this.element = h('div', { class: 'token-strip', role: 'list', 'aria-label': 'Prompt tokens, shaded by attention received' });
  }

  setTokens(tokens: StripToken[]): void {
    this.tokens = tokens;
    this.buttons = tokens.map((token, index) => {
      const button = h(
        'button',
        { class: `token${index === 0 ? ' p0' : ''}${token.special ? ' special' : ''}`, role: 'listitem', 'data-index': index, 'data-testid': `token-${index}` },
        displayToken(token.text),
      );
      button.addEventListener('click', () => this.onFocus(index));
      return button;
    });
    this.element.replaceChildren(...this.buttons);
    this.setReceived(null);
  }

  /** received[t] = attention token t receives (mean over layers); null while it is computed. */
  setReceived(received: ArrayLike<number> | null): void {
    let max = 0;
    if (received) for (let t = 0; t < received.length; t++) max = Math.max(max, received[t]);
    this.buttons.forEach((button, index) => {
      const value = received ? received[index] : NaN;
      const strength = max > 0 && Number.isFinite(value) ? Math.sqrt(value / max) : 0;
      button.style.setProperty('--strength', strength.toFixed(3));
      const token = this.tokens[index];
      button.title = `#${index} · id ${token.id} · ${JSON.stringify(token.text)}${received ? ` · attention received ${formatNumber(value, 4)}` : ''}`;
    });
  }

  focus(index: number | null): void {
    this.buttons.forEach((button, i) => button.classList.toggle('focused', i === index));
    if (index !== null) this.buttons[index]?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
}
