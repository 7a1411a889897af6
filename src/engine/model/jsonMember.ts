/**
 * One member of a large JSON object, parsed alone: the others are skipped over as bytes, never
 * built as JavaScript values. A tokenizer.json of a 150k-token vocabulary is ~7 MB; parsing all of
 * it to read its `added_tokens` would cost more memory than the weights' graph. Works on the UTF-8
 * bytes (JSON's structural characters are ASCII, which never occurs inside a multi-byte sequence).
 * The input is expected to be valid JSON (checked elsewhere); anything else gives undefined.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** The value of `key` in the top-level object of `bytes`, or undefined. */
export function topLevelMember(bytes: Uint8Array, key: string): unknown {
  let at = skipSpace(bytes, 0);
  if (bytes[at] !== 0x7b) return undefined;
  at = skipSpace(bytes, at + 1);
  while (at < bytes.length && bytes[at] === QUOTE) {
    const keyEnd = stringEnd(bytes, at);
    const name = JSON.parse(new TextDecoder().decode(bytes.subarray(at, keyEnd))) as string;
    at = skipSpace(bytes, keyEnd);
    if (bytes[at] !== 0x3a) return undefined; // :
    const start = skipSpace(bytes, at + 1);
    const end = valueEnd(bytes, start);
    if (name === key) return JSON.parse(new TextDecoder().decode(bytes.subarray(start, end)));
    at = skipSpace(bytes, end);
    if (bytes[at] !== 0x2c) return undefined; // , (or the closing brace: not found)
    at = skipSpace(bytes, at + 1);
  }
  return undefined;
}

function skipSpace(bytes: Uint8Array, at: number): number {
  while (at < bytes.length && WHITESPACE.has(bytes[at])) at++;
  return at;
}

/** `at` is an opening quote; returns the index after the closing one. */
function stringEnd(bytes: Uint8Array, at: number): number {
  for (let i = at + 1; i < bytes.length; i++) {
    if (bytes[i] === BACKSLASH) i++;
    else if (bytes[i] === QUOTE) return i + 1;
  }
  return bytes.length;
}

/** The index after the value starting at `at`: a string, an object or array (nested), or a literal. */
function valueEnd(bytes: Uint8Array, at: number): number {
  if (bytes[at] === QUOTE) return stringEnd(bytes, at);
  if (!OPEN.has(bytes[at])) {
    let i = at;
    while (i < bytes.length && bytes[i] !== 0x2c && !CLOSE.has(bytes[i]) && !WHITESPACE.has(bytes[i])) i++;
    return i;
  }
  let depth = 0;
  for (let i = at; i < bytes.length; i++) {
    if (bytes[i] === QUOTE) i = stringEnd(bytes, i) - 1;
    else if (OPEN.has(bytes[i])) depth++;
    else if (CLOSE.has(bytes[i]) && --depth === 0) return i + 1;
  }
  return bytes.length;
}
