/**
 * Finds "the prompt under the cursor" in a document's text. Pure (no `vscode` import) so that it
 * can be unit-tested in plain Node.
 *
 * Order: the selection when there is one; otherwise the string literal containing the cursor
 * (Python, JS/TS, JSON, YAML values); otherwise, in Markdown, the fenced block or paragraph around
 * it; in plain text (.txt, .prompt, unknown prose) the paragraph.
 *
 * Escapes in string literals are decoded (the model sees what the program would send), and
 * `offsets` maps every UTF-16 unit of the decoded text back to the document, so a token's
 * [start, end) in the prompt becomes the document range [offsets[start], offsets[end]).
 */

export type PromptKind = 'selection' | 'string' | 'yaml-value' | 'fenced-block' | 'paragraph';

export interface PromptSpan {
  kind: PromptKind;
  /** The text handed to the model. */
  text: string;
  /** Document offsets of the source text (delimiters excluded). */
  start: number;
  end: number;
  /** length text.length + 1: offsets[i] is where decoded unit i starts; offsets[text.length] = end. */
  offsets: number[];
}

export interface DocumentText {
  text: string;
  languageId: string;
  fileName: string;
}

type Flavor = 'python' | 'js' | 'json' | 'yaml' | 'markdown' | 'prose' | 'other-code';

const JS_LANGUAGES = new Set(['javascript', 'typescript', 'javascriptreact', 'typescriptreact']);

export function flavorOf(document: Pick<DocumentText, 'languageId' | 'fileName'>): Flavor {
  const id = document.languageId;
  const name = document.fileName.toLowerCase();
  if (id === 'python' || name.endsWith('.py')) return 'python';
  if (JS_LANGUAGES.has(id) || /\.(m|c)?[jt]sx?$/.test(name)) return 'js';
  if (id === 'json' || id === 'jsonc' || id === 'jsonl' || name.endsWith('.json')) return 'json';
  if (id === 'yaml' || /\.ya?ml$/.test(name)) return 'yaml';
  if (id === 'markdown' || /\.(md|markdown)$/.test(name)) return 'markdown';
  if (id === 'plaintext' || /\.(txt|prompt)$/.test(name)) return 'prose';
  return 'other-code';
}

export function extractPrompt(
  document: DocumentText,
  cursor: number,
  selection?: { start: number; end: number },
): PromptSpan | null {
  if (selection && selection.end > selection.start) {
    return identitySpan('selection', document.text, selection.start, selection.end);
  }
  const flavor = flavorOf(document);
  switch (flavor) {
    case 'python':
    case 'js':
    case 'json':
      return findStringLiteral(document.text, cursor, flavor);
    case 'yaml':
      return findYamlValue(document.text, cursor);
    case 'markdown':
      return findFencedBlock(document.text, cursor) ?? findParagraph(document.text, cursor);
    case 'prose':
      return findParagraph(document.text, cursor);
    case 'other-code':
      return findStringLiteral(document.text, cursor, 'js') ?? findParagraph(document.text, cursor);
  }
}

function identitySpan(kind: PromptKind, text: string, start: number, end: number): PromptSpan {
  const offsets = new Array<number>(end - start + 1);
  for (let i = 0; i <= end - start; i++) offsets[i] = start + i;
  return { kind, text: text.slice(start, end), start, end, offsets };
}

// ---------------------------------------------------------------------------------------------
// String literals: one forward scan from the top of the file, so that comments, other strings and
// triple quotes are never mistaken for the literal around the cursor.
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
  const decoded = literal.raw
    ? identitySpan('string', text, literal.contentStart, literal.contentEnd)
    : decodeEscapes(text, literal.contentStart, literal.contentEnd, flavor);
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
  n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0',
  '\\': '\\', "'": "'", '"': '"', '`': '`', '/': '/', $: '$', a: '\x07',
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

// ---------------------------------------------------------------------------------------------
// YAML: quoted or plain scalar values on a `key: value` / `- value` line, and block scalars.
// ---------------------------------------------------------------------------------------------

export function findYamlValue(text: string, cursor: number): PromptSpan | null {
  const lines = splitLines(text);
  const lineIndex = lines.findIndex((line) => cursor >= line.start && cursor <= line.end);
  if (lineIndex < 0) return null;

  // Inside a block scalar (`key: |` or `key: >`): its more-indented lines below the header.
  const headerPattern = /^(\s*)(?:-\s+)?(?:[^#\s][^#]*?:\s+)?[|>][+-]?\d*\s*(?:#.*)?$/;
  let minIndent = Infinity;
  for (let k = lineIndex; k >= 0; k--) {
    const header = headerPattern.exec(lines[k].text);
    if (header && header[1].length < minIndent) {
      const block = blockScalarLines(lines, k, header[1].length);
      if (block && lineIndex <= block.last) {
        const folded = />[+-]?\d*\s*(?:#.*)?$/.test(lines[k].text);
        return blockScalarSpan(text, lines, k + 1, block.last, block.indent, folded);
      }
      break;
    }
    if (lines[k].text.trim() !== '') minIndent = Math.min(minIndent, indentOf(lines[k].text));
    if (minIndent === 0 && k < lineIndex) break;
  }

  const line = lines[lineIndex];
  const valueMatch = /^(\s*(?:-\s+)?(?:(?:"[^"]*"|'[^']*'|[^#'"\s][^:#]*?):(?:\s+|$))?)(.*)$/.exec(line.text);
  if (!valueMatch) return null;
  const valueStart = line.start + valueMatch[1].length;
  const rest = valueMatch[2];
  if (rest.startsWith('"')) {
    // YAML double quotes take JS-like escapes; scan only this value so other lines cannot confuse it.
    const literal = findStringLiteral(text.slice(valueStart, line.end), Math.max(0, cursor - valueStart), 'js');
    return literal ? shiftSpan({ ...literal, kind: 'yaml-value' }, valueStart) : null;
  }
  if (rest.startsWith("'")) {
    return singleQuotedYaml(text, valueStart, line.end);
  }
  const plain = rest.replace(/\s+#.*$/, '').trimEnd();
  if (plain === '' || cursor < valueStart) return null;
  return { ...identitySpan('yaml-value', text, valueStart, valueStart + plain.length) };
}

function shiftSpan(span: PromptSpan, by: number): PromptSpan {
  return { ...span, start: span.start + by, end: span.end + by, offsets: span.offsets.map((offset) => offset + by) };
}

function singleQuotedYaml(text: string, open: number, lineEndAt: number): PromptSpan | null {
  let out = '';
  const offsets: number[] = [];
  let i = open + 1;
  while (i < lineEndAt) {
    if (text[i] === "'" && text[i + 1] === "'") {
      out += "'";
      offsets.push(i);
      i += 2;
      continue;
    }
    if (text[i] === "'") break;
    out += text[i];
    offsets.push(i);
    i++;
  }
  offsets.push(i);
  return { kind: 'yaml-value', text: out, start: open + 1, end: i, offsets };
}

function blockScalarLines(lines: Line[], header: number, headerIndent: number): { last: number; indent: number } | null {
  let indent = -1;
  let last = -1;
  for (let k = header + 1; k < lines.length; k++) {
    const line = lines[k].text;
    if (line.trim() === '') continue;
    const lineIndent = indentOf(line);
    if (lineIndent <= headerIndent) break;
    if (indent < 0) indent = lineIndent;
    if (lineIndent < indent) break;
    last = k;
  }
  return last < 0 ? null : { last, indent };
}

function blockScalarSpan(text: string, lines: Line[], first: number, last: number, indent: number, folded: boolean): PromptSpan {
  let out = '';
  const offsets: number[] = [];
  for (let k = first; k <= last; k++) {
    const line = lines[k];
    const contentStart = Math.min(line.start + indent, line.end);
    for (let i = contentStart; i < line.end; i++) {
      out += text[i];
      offsets.push(i);
    }
    if (k < last) {
      const nextBlank = lines[k + 1].text.trim() === '';
      // Folded (`>`) joins lines with a space unless a blank line separates paragraphs.
      out += folded && !nextBlank && line.text.trim() !== '' ? ' ' : '\n';
      offsets.push(line.end);
    }
  }
  const start = Math.min(lines[first].start + indent, lines[first].end);
  const end = lines[last].end;
  offsets.push(end);
  return { kind: 'yaml-value', text: out, start, end, offsets };
}

// ---------------------------------------------------------------------------------------------
// Markdown fenced blocks and paragraphs.
// ---------------------------------------------------------------------------------------------

interface Line {
  text: string;
  start: number;
  /** Offset of the line's end, before its line break. */
  end: number;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    let end = newline < 0 ? text.length : newline;
    const contentEnd = end > start && text[end - 1] === '\r' ? end - 1 : end;
    lines.push({ text: text.slice(start, contentEnd), start, end: contentEnd });
    if (newline < 0) break;
    start = newline + 1;
    end = start;
  }
  return lines;
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)![0].length;
}

export function findFencedBlock(text: string, cursor: number): PromptSpan | null {
  const lines = splitLines(text);
  let open: { index: number; fence: string } | null = null;
  for (let k = 0; k < lines.length; k++) {
    const fence = /^\s{0,3}(`{3,}|~{3,})/.exec(lines[k].text);
    if (!open) {
      if (fence) open = { index: k, fence: fence[1] };
      continue;
    }
    const closes = fence && fence[1][0] === open.fence[0] && fence[1].length >= open.fence.length && lines[k].text.trim() === fence[1];
    if (!closes && k < lines.length - 1) continue;
    const lastContent = closes ? k - 1 : k;
    const blockStart = lines[open.index].start;
    const blockEnd = lines[k].end;
    if (cursor >= blockStart && cursor <= blockEnd && lastContent > open.index) {
      const start = lines[open.index + 1].start;
      const end = lines[lastContent].end;
      return identitySpan('fenced-block', text, start, end);
    }
    open = null;
  }
  return null;
}

export function findParagraph(text: string, cursor: number): PromptSpan | null {
  const lines = splitLines(text);
  const at = lines.findIndex((line) => cursor >= line.start && cursor <= line.end);
  if (at < 0 || lines[at].text.trim() === '') return null;
  let first = at;
  while (first > 0 && lines[first - 1].text.trim() !== '') first--;
  let last = at;
  while (last < lines.length - 1 && lines[last + 1].text.trim() !== '') last++;
  return identitySpan('paragraph', text, lines[first].start, lines[last].end);
}
