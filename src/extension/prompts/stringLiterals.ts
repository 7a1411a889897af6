/**
 * String literals (Python, JS/TS, JSON): one forward scan from the top of the file, so that
 * comments, other strings and triple quotes are never mistaken for the literal around the cursor;
 * escapes are decoded with an offset map back to the document (promptExtraction.ts). Pure.
 */
import { identitySpan, type Flavor, type PromptSpan } from './promptSpan';

// ---------------------------------------------------------------------------------------------

interface Literal {
  /** Delimiters included. */
  outerStart: number;
  outerEnd: number;
  contentStart: number;
  contentEnd: number;
  raw: boolean;
}

export function findStringLiteral(text: string, cursor: number, flavor: 'python' | 'js' | 'json'): PromptSpan | null {
  const literal = scanLiterals(text, flavor, cursor);
  if (!literal) return null;
  const decoded = literal.raw ? identitySpan('string', text, literal.contentStart, literal.contentEnd) : decodeEscapes(text, literal.contentStart, literal.contentEnd, flavor);
  return { ...decoded, kind: 'string' };
}

function scanLiterals(text: string, flavor: 'python' | 'js' | 'json', cursor: number): Literal | null {
  let i = 0;
  while (i < text.length && i <= cursor) {
    const ch = text[i];
    // Comments.
    if (flavor === 'python' && ch === '#') {
      i = lineEnd(text, i);
      continue;
    }
    if (flavor !== 'python' && ch === '/' && text[i + 1] === '/') {
      i = lineEnd(text, i);
      continue;
    }
    if (flavor !== 'python' && ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      continue;
    }
    let raw = false;
    let start = i;
    let quoteAt = i;
    if (flavor === 'python' && /[rRbBuUfF]/.test(ch) && !isIdentifierChar(text[i - 1])) {
      // Up to two prefix letters (rb, Rb, fr, …) directly before a quote.
      let j = i;
      while (j < i + 2 && /[rRbBuUfF]/.test(text[j] ?? '')) j++;
      if (text[j] === '"' || text[j] === "'") {
        raw = /[rR]/.test(text.slice(i, j));
        quoteAt = j;
      } else {
        i = skipIdentifier(text, i);
        continue;
      }
    }
    const quote = text[quoteAt];
    const isQuote = quote === '"' || (flavor !== 'json' && quote === "'") || (flavor === 'js' && quote === '`');
    if (!isQuote) {
      i = isIdentifierChar(ch) ? skipIdentifier(text, i) : i + 1;
      continue;
    }
    const triple = flavor === 'python' && text.startsWith(quote.repeat(3), quoteAt);
    const delimiter = triple ? quote.repeat(3) : quote;
    const contentStart = quoteAt + delimiter.length;
    const contentEnd = findClosing(text, contentStart, delimiter, raw, quote === '`');
    const outerEnd = Math.min(text.length, contentEnd + delimiter.length);
    if (cursor >= start && cursor <= outerEnd) {
      return { outerStart: start, outerEnd, contentStart, contentEnd, raw };
    }
    i = outerEnd;
    start = i;
  }
  return null;
}

/** Index of the closing delimiter (or where the literal stops: line end for unterminated ones). */
function findClosing(text: string, from: number, delimiter: string, raw: boolean, template: boolean): number {
  const multiline = delimiter.length === 3 || template;
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++; // Even raw Python strings cannot end in an odd backslash before the quote.
      continue;
    }
    if (template && ch === '$' && text[i + 1] === '{') {
      depth++;
      i++;
      continue;
    }
    if (template && depth > 0) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      continue;
    }
    if (!multiline && ch === '\n') return i;
    if (text.startsWith(delimiter, i)) return i;
  }
  void raw;
  return text.length;
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_$]/u.test(ch);
}

function skipIdentifier(text: string, from: number): number {
  let i = from;
  while (i < text.length && isIdentifierChar(text[i])) i++;
  return i;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
  '/': '/',
  $: '$',
  a: '\x07',
};

/** Decodes backslash escapes between start and end, keeping the document offset of every unit. */
export function decodeEscapes(text: string, start: number, end: number, flavor: Flavor): PromptSpan {
  let out = '';
  const offsets: number[] = [];
  const push = (decoded: string, at: number) => {
    for (let k = 0; k < decoded.length; k++) offsets.push(at);
    out += decoded;
  };
  let i = start;
  while (i < end) {
    const ch = text[i];
    if (ch !== '\\' || i + 1 >= end) {
      push(ch, i);
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '\n') {
      i += 2; // line continuation: contributes nothing
      continue;
    }
    if (next === '\r' && text[i + 2] === '\n') {
      i += 3;
      continue;
    }
    const hex = (count: number) => {
      const digits = text.slice(i + 2, i + 2 + count);
      return digits.length === count && /^[0-9a-fA-F]+$/.test(digits) ? digits : null;
    };
    if (next === 'x' && flavor !== 'json' && hex(2)) {
      push(String.fromCharCode(parseInt(hex(2)!, 16)), i);
      i += 4;
      continue;
    }
    if (next === 'u' && text[i + 2] === '{' && flavor === 'js') {
      const close = text.indexOf('}', i + 3);
      const digits = close > 0 && close < end ? text.slice(i + 3, close) : '';
      if (/^[0-9a-fA-F]{1,6}$/.test(digits)) {
        push(String.fromCodePoint(parseInt(digits, 16)), i);
        i = close + 1;
        continue;
      }
    }
    if (next === 'u' && hex(4)) {
      push(String.fromCharCode(parseInt(hex(4)!, 16)), i);
      i += 6;
      continue;
    }
    if (next === 'U' && flavor === 'python') {
      const digits = text.slice(i + 2, i + 10);
      if (/^[0-9a-fA-F]{8}$/.test(digits)) {
        push(String.fromCodePoint(parseInt(digits, 16)), i);
        i += 10;
        continue;
      }
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined && !(flavor === 'json' && !'nrtbf"\\/u'.includes(next))) {
      push(simple, i);
      i += 2;
      continue;
    }
    // Unknown escape: Python keeps the backslash, JS drops it. Keep both units, as Python does;
    // either way the offsets stay exact.
    push(ch, i);
    i++;
  }
  offsets.push(end);
  return { kind: 'string', text: out, start, end, offsets };
}
