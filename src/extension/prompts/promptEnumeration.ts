/**
 * Every prompt in a document or a selection, for the multi-prompt commands ("Analyze Prompts in
 * File / Selection", the head sweep over a file). Pure (no `vscode`), built on
 * promptExtraction.ts's finders:
 *   - Python, JS/TS, JSON: every non-blank string literal (escapes decoded), found by asking
 *     extractPrompt's literal scanner at each quote;
 *   - everything else (plain text, Markdown, YAML, other code): non-empty paragraphs (blocks
 *     separated by blank lines); a block of several lines with no blank line between them (a
 *     prompts file such as samples.txt) gives one prompt per line, as `sink-lens batch --prompts`
 *     reads a .txt file.
 */
import { flavorOf, type DocumentText } from './promptSpan';
import { findStringLiteral } from './stringLiterals';

export interface EnumeratedPrompt {
  text: string;
  /** Document offset where the prompt's source starts (for its line number). */
  start: number;
}

/** At most this many prompts are taken from one document. */
export const MAX_PROMPTS = 200;

export function enumeratePrompts(document: DocumentText, range?: { start: number; end: number }): EnumeratedPrompt[] {
  const start = range && range.end > range.start ? range.start : 0;
  const end = range && range.end > range.start ? range.end : document.text.length;
  const flavor = flavorOf(document);
  const found =
    flavor === 'python' || flavor === 'js' || flavor === 'json'
      ? literals(document.text, flavor, start, end)
      : blocks(document.text.slice(start, end)).map((prompt) => ({ ...prompt, start: prompt.start + start }));
  // A selection inside one literal: the selected text itself.
  if (found.length === 0 && range && range.end > range.start && document.text.slice(start, end).trim() !== '') {
    return [{ text: document.text.slice(start, end), start }];
  }
  return found.slice(0, MAX_PROMPTS);
}

function literals(text: string, flavor: 'python' | 'js' | 'json', start: number, end: number): EnumeratedPrompt[] {
  const prompts: EnumeratedPrompt[] = [];
  for (let i = start; i < end && prompts.length < MAX_PROMPTS; i++) {
    const ch = text[i];
    if (ch !== '"' && ch !== "'" && ch !== '`') continue;
    const span = findStringLiteral(text, i + 1, flavor);
    if (!span || span.start < i || span.start > i + 3) continue; // i is not this literal's opening quote
    if (span.end > end) break;
    if (span.text.trim() !== '') prompts.push({ text: span.text, start: span.start });
    i = Math.max(i, span.end); // skip past the literal (its closing quote included by the loop)
  }
  return prompts;
}

function blocks(text: string): EnumeratedPrompt[] {
  const prompts: EnumeratedPrompt[] = [];
  const lines: { text: string; start: number }[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    lines.push({ text: line.replace(/\r$/, ''), start: offset });
    offset += line.length + 1;
  }
  let block: { text: string; start: number }[] = [];
  const flush = () => {
    if (block.length === 0) return;
    const hasBlankSeparatedBlocks = lines.some((line, index) => line.text.trim() === '' && index > 0 && index < lines.length - 1);
    if (block.length > 1 && !hasBlankSeparatedBlocks) {
      for (const line of block) prompts.push({ text: line.text, start: line.start });
    } else {
      prompts.push({ text: block.map((line) => line.text).join('\n'), start: block[0].start });
    }
    block = [];
  };
  for (const line of lines) {
    if (line.text.trim() === '') flush();
    else block.push(line);
  }
  flush();
  return prompts;
}
