/**
 * Where each token of the strip goes: tokens are laid out left to right in rows of the strip's
 * width, as the browser would wrap them, from their measured widths, so that the strip can draw
 * only the rows in view (tokenStrip.ts). Pure: unit-tested in Node with a stand-in text measure.
 */
import { displayToken } from '../../src/protocol/tokenText';

/** A token button's padding and border (px), its font as canvas text, its height (px). */
export interface TokenKind {
  extra: number;
  font: string;
  height: number;
}

export interface TokenRows {
  /** The width laid out for (px). */
  width: number;
  count: number;
  /** Each row's pitch: a button's height and the gap. */
  rowHeight: number;
  /** rowStart[r] = the first token of row r; rowStart[count] = the number of tokens. */
  rowStart: Int32Array;
  /** rowOf[t] = the row of token t. */
  rowOf: Int32Array;
}

/** The gap between buttons and between rows, as .token-row's CSS has it. */
export const TOKEN_GAP = 3;
/** Kept free at each row's end, so that a rounding in the measure never wraps a button. */
const SLACK = 4;

export function layoutRows(
  tokens: readonly { text: string; special: boolean }[],
  width: number,
  kind: (special: boolean, p0: boolean) => TokenKind,
  textWidth: (text: string, font: string) => number,
): TokenRows {
  const kinds = new Map<string, TokenKind>();
  const kindOf = (special: boolean, p0: boolean) => {
    const key = `${special}:${p0}`;
    let found = kinds.get(key);
    if (!found) kinds.set(key, (found = kind(special, p0)));
    return found;
  };
  const rowOf = new Int32Array(tokens.length);
  const starts = [0];
  let used = 0;
  let rowHeight = 0;
  const room = Math.max(1, width - SLACK);
  tokens.forEach((token, index) => {
    const { extra, font, height } = kindOf(token.special, index === 0);
    rowHeight = Math.max(rowHeight, height);
    const size = extra + textWidth(displayToken(token.text), font);
    // A token starts a new row when it does not fit after the others (a token wider than the row has one to itself).
    if (used > 0 && used + TOKEN_GAP + size > room) {
      starts.push(index);
      used = 0;
    }
    used += (used > 0 ? TOKEN_GAP : 0) + size;
    rowOf[index] = starts.length - 1;
  });
  starts.push(tokens.length);
  return { width, count: tokens.length ? starts.length - 1 : 0, rowHeight: rowHeight + TOKEN_GAP, rowStart: Int32Array.from(starts), rowOf };
}

/** The first and last rows to draw for a viewport at `scrollTop` of `height` px, with `overscan` rows around it. */
export function rowsInView(rows: TokenRows, scrollTop: number, height: number, overscan: number): [number, number] {
  if (rows.count === 0) return [0, -1];
  const first = Math.max(0, Math.floor(scrollTop / rows.rowHeight) - overscan);
  const last = Math.min(rows.count - 1, Math.ceil((scrollTop + Math.max(height, rows.rowHeight)) / rows.rowHeight) + overscan);
  return [first, last];
}
