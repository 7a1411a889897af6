import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutRows, rowsInView, TOKEN_GAP } from '../../webview/report/tokenRows';

/** A monospace stand-in for the canvas: 8 px per character; buttons have 10 px of padding and border, 20 px of height. */
const kind = () => ({ extra: 10, font: 'mono', height: 20 });
const textWidth = (text: string) => text.length * 8;
const tokens = (texts: string[]) => texts.map((text) => ({ text, special: false }));

describe('layoutRows', () => {
  it('wraps tokens into rows of the width, as the browser would', () => {
    // Each 'abc' is 34 px: three fit in 120 px (34 + 3 + 34 + 3 + 34 = 108, with 4 px slack), a fourth does not.
    const rows = layoutRows(tokens(['abc', 'abc', 'abc', 'abc', 'abc', 'abc', 'abc']), 120, kind, textWidth);
    assert.deepEqual(Array.from(rows.rowStart), [0, 3, 6, 7]);
    assert.deepEqual(Array.from(rows.rowOf), [0, 0, 0, 1, 1, 1, 2]);
    assert.equal(rows.count, 3);
    assert.equal(rows.rowHeight, 20 + TOKEN_GAP);
  });

  it('gives a token wider than the strip a row to itself, and lays out nothing for no tokens', () => {
    const rows = layoutRows(tokens(['a', 'x'.repeat(40), 'b']), 100, kind, textWidth);
    assert.deepEqual(Array.from(rows.rowStart), [0, 1, 2, 3]);
    assert.equal(layoutRows([], 100, kind, textWidth).count, 0);
  });

  it('measures each kind of button once (padding, border and font differ for P0 and special tokens)', () => {
    const asked: string[] = [];
    layoutRows([{ text: '<s>', special: true }, ...tokens(['a', 'b', 'c'])], 500, (special, p0) => (asked.push(`${special}:${p0}`), kind()), textWidth);
    assert.deepEqual(asked, ['true:true', 'false:false']);
  });
});

describe('rowsInView', () => {
  const rows = layoutRows(tokens(Array.from({ length: 2048 }, () => 'tok')), 400, kind, textWidth);

  it('draws the rows in view and the overscan around them, not all 2048 tokens', () => {
    const [first, last] = rowsInView(rows, 0, 150, 4);
    assert.equal(first, 0);
    assert.equal(last, Math.ceil(150 / rows.rowHeight) + 4);
    const drawn = rows.rowStart[last + 1] - rows.rowStart[first];
    assert.ok(drawn < 200, `${drawn} tokens drawn`);
  });

  it('follows the scroll to the end', () => {
    const end = (rows.count - 1) * rows.rowHeight;
    const [first, last] = rowsInView(rows, end, 150, 4);
    assert.equal(last, rows.count - 1);
    assert.ok(first > 0 && rows.rowStart[last + 1] === 2048);
  });
});
