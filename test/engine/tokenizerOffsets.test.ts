/**
 * Fuzzes the UTF-16 ranges the editor decorations rely on: random prompts mixing ASCII, accents,
 * CJK, emoji (split into byte tokens), combining marks and lone surrogates, through three real
 * tokenizers (Metaspace + byte fallback, ByteLevel GPT-2, LLaMA).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PromptTokenizer } from '../../src/engine/tokenizer';
import { onnxExports, sharedModelsMissing, stories260k } from '../support/paths';

const ALPHABET = ['a', 'b', 'Z', ' ', ' ', '  ', '\n', '\t', 'é', 'ß', '中', '文', '😀', '👍🏽', 'e\u0301', '\u{1F9EA}', '.', ',', '"', '<s>', '\uD800', '\uDC00x', 'ﬁ', '١'];

function randomPrompt(random: () => number): string {
  const length = 1 + Math.floor(random() * 24);
  return Array.from({ length }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('');
}

/** mulberry32: a seeded generator so that a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** GPT-2's byte-to-printable-character table, inverted. */
const BYTE_LEVEL = (() => {
  const printable = [...range(33, 126), ...range(161, 172), ...range(174, 255)];
  const map = new Map<string, number>();
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    map.set(String.fromCodePoint(printable.includes(byte) ? byte : 256 + extra++), byte);
  }
  return map;
})();

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The bytes a token stands for, in either vocabulary style; added tokens are literal text. */
function tokenBytes(piece: string, byteLevel: boolean, added: Set<string>): number[] {
  if (added.has(piece)) return [...Buffer.from(piece, 'utf8')];
  if (byteLevel) return [...piece].map((char) => BYTE_LEVEL.get(char)!);
  const fallback = /^<0x([0-9A-F]{2})>$/.exec(piece);
  if (fallback) return [parseInt(fallback[1], 16)];
  return [...Buffer.from(piece.replace(/▁/g, ' '), 'utf8')];
}

function containsSequence(haystack: number[], needle: number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return needle.length === 0;
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;

const tokenizers = [
  { name: 'stories260k (Metaspace, byte fallback)', path: join(stories260k, 'tokenizer.json'), byteLevel: false },
  { name: 'GPT-2 (ByteLevel)', path: join(onnxExports, 'tiny-random-gpt2-fp32', 'tokenizer.json'), byteLevel: true },
  { name: 'LLaMA (Metaspace, byte fallback)', path: join(onnxExports, 'tiny-random-LlamaForCausalLM-fp16', 'tokenizer.json'), byteLevel: false },
];

describe('token ranges are exact UTF-16 editor ranges', () => {
  const missing = sharedModelsMissing();
  for (const { name, path, byteLevel } of tokenizers) {
    it(`${name}: 1500 random prompts`, { skip: missing ?? false }, async () => {
      const tokenizer = PromptTokenizer.load(path);
      const added = new Set<string>(JSON.parse(readFileSync(path, 'utf8')).added_tokens.map((token: { content: string }) => token.content));
      const random = seeded(name.length * 7919);
      for (let round = 0; round < 1500; round++) {
        const prompt = randomPrompt(random);
        const { text, tokens } = await tokenizer.encode(prompt);
        const context = `prompt ${JSON.stringify(prompt)}`;
        assert.equal(text.length, prompt.length, `${context}: well-formed text keeps its length`);
        let previousStart = 0;
        for (const token of tokens) {
          assert.ok(0 <= token.start && token.start <= token.end && token.end <= text.length, `${context}: ${JSON.stringify(token)} out of bounds`);
          assert.ok(token.start >= previousStart, `${context}: ranges go backwards at ${JSON.stringify(token)}`);
          previousStart = token.start;
          for (const edge of [token.start, token.end]) {
            assert.ok(!(edge > 0 && edge < text.length && isHigh(text.charCodeAt(edge - 1))), `${context}: ${JSON.stringify(token)} splits a surrogate pair`);
          }
          const covered = [...Buffer.from(` ${text.slice(token.start, token.end)}`, 'utf8')];
          if (!token.special) {
            assert.ok(containsSequence(covered, tokenBytes(token.text, byteLevel, added)), `${context}: token ${JSON.stringify(token)} is not inside its range`);
          }
        }
        const coveredChars = new Set<number>();
        for (const token of tokens) for (let i = token.start; i < token.end; i++) coveredChars.add(i);
        for (let i = 0; i < text.length; i++) {
          if (!/\s/.test(text[i])) assert.ok(coveredChars.has(i), `${context}: character ${i} (${JSON.stringify(text[i])}) belongs to no token`);
        }
      }
    });
  }

  it('an emoji split into byte tokens gives every piece the same full range', { skip: missing ?? false }, async () => {
    const tokenizer = PromptTokenizer.load(join(stories260k, 'tokenizer.json'));
    const { tokens } = await tokenizer.encode('hi 😀!');
    const emojiPieces = tokens.filter((token) => token.text.startsWith('<0x'));
    assert.equal(emojiPieces.length, 4);
    for (const piece of emojiPieces) assert.deepEqual([piece.start, piece.end], [3, 5]);
  });
});
