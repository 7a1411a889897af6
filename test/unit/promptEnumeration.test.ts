import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enumeratePrompts } from '../../src/extension/prompts/promptEnumeration';

const texts = (text: string, languageId: string, fileName: string, range?: { start: number; end: number }) => enumeratePrompts({ text, languageId, fileName }, range).map((prompt) => prompt.text);

describe('enumeratePrompts', () => {
  it('takes every non-blank string literal of Python, decoded, and skips comments', () => {
    const source = "x = \"hello world\"  # \"not this\"\ny = '''triple\nq'''\nz = f(\"a\\nb\", '')\n";
    assert.deepEqual(texts(source, 'python', 'a.py'), ['hello world', 'triple\nq', 'a\nb']);
  });

  it('takes JS/TS literals and template strings', () => {
    assert.deepEqual(texts('const a = "one"; // "c"\nconst b = `two ${x}`;', 'typescript', 'a.ts'), ['one', 'two ${x}']);
  });

  it('splits prose into paragraphs, or into lines when no blank line separates them (a prompts file)', () => {
    assert.deepEqual(texts('p one\nline two\n\np two\n', 'plaintext', 'a.txt'), ['p one\nline two', 'p two']);
    assert.deepEqual(texts('a b\nc d\ne f\n', 'plaintext', 'a.txt'), ['a b', 'c d', 'e f']);
  });

  it('keeps to the selection, and a selection inside one literal is itself the prompt', () => {
    const source = 'first\n\nsecond\n\nthird\n';
    assert.deepEqual(texts(source, 'plaintext', 'a.txt', { start: 7, end: source.length }), ['second', 'third']);
    assert.deepEqual(texts('x = "hello world"', 'python', 'a.py', { start: 5, end: 10 }), ['hello']);
  });
});
