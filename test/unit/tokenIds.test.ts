import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findTokenIds, parseTokenIds } from '../../src/extension/prompts/tokenIds';

/** Puts the cursor where `‸` is (and removes it). */
function at(source: string): { text: string; cursor: number } {
  const cursor = source.indexOf('‸');
  assert.ok(cursor >= 0, 'test text needs a ‸ for the cursor');
  return { text: source.slice(0, cursor) + source.slice(cursor + 1), cursor };
}

function find(source: string) {
  const { text, cursor } = at(source);
  const span = findTokenIds(text, cursor);
  return span && { ids: span.ids, text: text.slice(span.start, span.end) };
}

describe('parseTokenIds', () => {
  it('reads commas, spaces, newlines and one pair of brackets', () => {
    assert.deepEqual(parseTokenIds('1, 17, 5, 300').ids, [1, 17, 5, 300]);
    assert.deepEqual(parseTokenIds(' 1 17\n5,300 ').ids, [1, 17, 5, 300]);
    assert.deepEqual(parseTokenIds('[1,17,5]').ids, [1, 17, 5]);
    assert.deepEqual(parseTokenIds('[ 0, 0 ]').ids, [0, 0]);
  });

  it('refuses what is not a list of at least two non-negative integers, saying what is wrong', () => {
    assert.match(parseTokenIds('').error!, /write token ids/);
    assert.match(parseTokenIds('[]').error!, /write token ids/);
    assert.match(parseTokenIds('7').error!, /at least 2/);
    assert.match(parseTokenIds('1, -2, 3').error!, /"-2" is not a token id/);
    assert.match(parseTokenIds('1, 2.5').error!, /"2.5" is not a token id/);
    assert.match(parseTokenIds('Once upon a time').error!, /"Once" is not a token id/);
    assert.match(parseTokenIds('1, 99999999999999999999').error!, /is not a token id/);
    assert.match(parseTokenIds('[[1, 2], [3]]').error!, /is not a token id/);
  });
});

describe('findTokenIds', () => {
  it('takes the bracketed list around the cursor (Python, JSON, over several lines)', () => {
    assert.deepEqual(find('IDS = [1, 17, ‸5, 300]\nprint(IDS)\n'), { ids: [1, 17, 5, 300], text: '1, 17, 5, 300' });
    assert.deepEqual(find('{"ids": [\n  1,\n  1‸7,\n  5\n]}'), { ids: [1, 17, 5], text: '\n  1,\n  17,\n  5\n' });
  });

  it('takes the list when the cursor sits on a bracket', () => {
    assert.deepEqual(find('x = ‸[4, 5, 6]')?.ids, [4, 5, 6]);
    assert.deepEqual(find('x = [4, 5, 6]‸')?.ids, [4, 5, 6]);
  });

  it('takes the innermost list of a nested one', () => {
    assert.deepEqual(find('rows = [[1, 2, 3], [4, ‸5, 6]]')?.ids, [4, 5, 6]);
  });

  it('takes a line that holds only ids (a .txt of ids)', () => {
    assert.deepEqual(find('prompt ids:\n  1 17 ‸5 300  \nnext'), { ids: [1, 17, 5, 300], text: '1 17 5 300' });
  });

  it('finds nothing in text, in a list of words, or in a single number', () => {
    assert.equal(find('PROMPT = "Once upon ‸a time"'), null);
    assert.equal(find('xs = ["a", ‸"b"]'), null);
    assert.equal(find('n = 4‸2'), null);
  });

  it('takes the selection when it is a list of ids, and nothing else when it is not', () => {
    const text = 'a = [1, 2, 3]  # then 9 8 7';
    assert.deepEqual(findTokenIds(text, 0, { start: text.indexOf('9'), end: text.length }), { ids: [9, 8, 7], start: text.indexOf('9'), end: text.length });
    assert.equal(findTokenIds(text, text.indexOf('2'), { start: 0, end: 5 }), null);
  });
});
