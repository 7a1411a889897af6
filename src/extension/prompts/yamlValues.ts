/**
 * YAML prompts: quoted or plain scalar values on a `key: value` / `- value` line, and block
 * scalars (`|`, `>`), as spans with an offset map back to the document. Pure.
 */
import { identitySpan, type PromptSpan } from './promptSpan';
import { findStringLiteral } from './stringLiterals';
import { indentOf, splitLines, type Line } from './textBlocks';

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
