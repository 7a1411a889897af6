import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractPrompt } from '../../src/extension/prompts/promptExtraction';
import type { PromptSpan } from '../../src/extension/prompts/promptSpan';

/** Puts the cursor where `‸` is (and removes it); `|` stays free for YAML block scalars. */
function at(source: string): { text: string; cursor: number } {
  const cursor = source.indexOf('‸');
  assert.ok(cursor >= 0, 'test text needs a ‸ for the cursor');
  return { text: source.slice(0, cursor) + source.slice(cursor + 1), cursor };
}

function extract(source: string, languageId: string, fileName: string): PromptSpan | null {
  const { text, cursor } = at(source);
  return extractPrompt({ text, languageId, fileName }, cursor);
}

/** Every decoded unit must come from the document offset the map says. */
function assertOffsetsConsistent(span: PromptSpan, documentText: string): void {
  assert.equal(span.offsets.length, span.text.length + 1);
  assert.equal(span.offsets[0], span.start);
  assert.equal(span.offsets[span.text.length], span.end);
  for (let i = 1; i < span.offsets.length; i++) assert.ok(span.offsets[i] >= span.offsets[i - 1]);
  void documentText;
}

describe('extractPrompt', () => {
  it('takes the selection when there is one', () => {
    const text = 'x = "hello world"';
    const span = extractPrompt({ text, languageId: 'python', fileName: 'a.py' }, 0, { start: 5, end: 10 })!;
    assert.equal(span.kind, 'selection');
    assert.equal(span.text, 'hello');
    assert.deepEqual(span.offsets, [5, 6, 7, 8, 9, 10]);
  });

  describe('Python', () => {
    it('double-quoted string', () => {
      const span = extract('prompt = "Once upon‸ a time"\n', 'python', 'a.py')!;
      assert.equal(span.text, 'Once upon a time');
      assert.equal(span.start, 10);
    });
    it('single-quoted string with escapes keeps exact offsets', () => {
      const source = "p = 'a\\nb‸\\'c'";
      const span = extract(source, 'python', 'a.py')!;
      assert.equal(span.text, "a\nb'c");
      const { text } = at(source);
      assert.equal(text.slice(span.offsets[1], span.offsets[2]), '\\n');
      assert.equal(text.slice(span.offsets[3], span.offsets[4]), "\\'");
      assertOffsetsConsistent(span, text);
    });
    it('triple-quoted string spanning lines, not confused by quotes inside', () => {
      const source = 'x = 1\np = """Line one\nsays "hi" ‸and\nends"""\nq = "other"';
      const span = extract(source, 'python', 'a.py')!;
      assert.equal(span.text, 'Line one\nsays "hi" and\nends');
    });
    it('raw string is not decoded', () => {
      const span = extract('p = r"a\\n‸b"', 'python', 'a.py')!;
      assert.equal(span.text, 'a\\nb');
    });
    it('f-string prefix and a # inside a string are handled', () => {
      const span = extract('p = f"# not a comment {x}‸"  # comment "q"', 'python', 'a.py')!;
      assert.equal(span.text, '# not a comment {x}');
    });
    it('ignores strings inside comments and returns null outside any literal', () => {
      assert.equal(extract('# "not ‸this"\nx = 1', 'python', 'a.py'), null);
      assert.equal(extract('x = 1‸', 'python', 'a.py'), null);
    });
    it('counts the cursor on a delimiter as inside', () => {
      assert.equal(extract('p = ‸"edge"', 'python', 'a.py')!.text, 'edge');
    });
  });

  describe('JavaScript / TypeScript', () => {
    it('template literal with a substitution', () => {
      const span = extract('const p = `Hello ${name}, ‸how are you`;', 'typescript', 'a.ts')!;
      assert.equal(span.text, 'Hello ${name}, how are you');
    });
    it('unicode escapes decode to the right units', () => {
      const source = 'const p = "caf\\u00e9 ‸\\u{1F600}";';
      const span = extract(source, 'javascript', 'a.js')!;
      assert.equal(span.text, 'café 😀');
      const { text } = at(source);
      // Both halves of the surrogate pair map to the one escape.
      assert.equal(span.offsets[5], span.offsets[6]);
      assert.equal(text.slice(span.offsets[5], span.offsets[7]), '\\u{1F600}');
    });
    it('skips block and line comments', () => {
      const span = extract('/* "no" */ // "no"\nconst p = \'ye‸s\';', 'typescript', 'a.ts')!;
      assert.equal(span.text, 'yes');
    });
  });

  it('JSON value', () => {
    const span = extract('{"prompt": "The cat ‸sat\\non the mat", "n": 1}', 'json', 'a.json')!;
    assert.equal(span.text, 'The cat sat\non the mat');
  });

  describe('YAML', () => {
    it('plain value after a key', () => {
      assert.equal(extract('model: x\nprompt: Once upon‸ a time  # comment\n', 'yaml', 'a.yaml')!.text, 'Once upon a time');
    });
    it('double-quoted value with escapes', () => {
      assert.equal(extract('prompt: "a\\tb‸"\n', 'yaml', 'a.yml')!.text, 'a\tb');
    });
    it("single-quoted value with ''", () => {
      assert.equal(extract("prompt: 'it''s ‸fine'\n", 'yaml', 'a.yml')!.text, "it's fine");
    });
    it('literal block scalar', () => {
      const source = 'prompts:\n  first: |\n    Line one\n    Line‸ two\n  second: x\n';
      const span = extract(source, 'yaml', 'a.yaml')!;
      assert.equal(span.text, 'Line one\nLine two');
      const { text } = at(source);
      assert.equal(text.slice(span.offsets[9], span.offsets[13]), 'Line');
    });
    it('a value after a block scalar is not taken as part of it', () => {
      assert.equal(extract('a: |\n  text\nb: fo‸o\n', 'yaml', 'a.yaml')!.text, 'foo');
    });
  });

  describe('Markdown', () => {
    it('fenced block', () => {
      const span = extract('# Title\n\n```text\nfirst line\nsecond‸ line\n```\n\nafter', 'markdown', 'a.md')!;
      assert.equal(span.kind, 'fenced-block');
      assert.equal(span.text, 'first line\nsecond line');
    });
    it('paragraph outside a block', () => {
      const span = extract('# Title\n\nA para‸graph\nof two lines.\n\nNext.', 'markdown', 'a.md')!;
      assert.equal(span.kind, 'paragraph');
      assert.equal(span.text, 'A paragraph\nof two lines.');
    });
  });

  it('.prompt and .txt files: the paragraph, and null on a blank line', () => {
    assert.equal(extract('one\n\ntwo ‸words\nmore\n\nthree', 'plaintext', 'x.prompt')!.text, 'two words\nmore');
    assert.equal(extract('one\n\n‸\nthree', 'plaintext', 'x.txt'), null);
  });

  it('CRLF documents keep the line break out of the paragraph', () => {
    const span = extract('a\r\nb‸\r\n\r\nc', 'plaintext', 'x.txt')!;
    assert.equal(span.text, 'a\r\nb');
  });
});
