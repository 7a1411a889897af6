/**
 * Markdown fenced blocks and paragraphs (Markdown, plain text, prose in other files), and the line
 * helpers the YAML finder shares. Pure.
 */
import { identitySpan, type PromptSpan } from './promptSpan';

export interface Line {
  text: string;
  start: number;
  /** Offset of the line's end, before its line break. */
  end: number;
}

export function splitLines(text: string): Line[] {
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

export function indentOf(line: string): number {
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
