/**
 * Token ids written by the user, for models analysed without a tokenizer (an export with no
 * tokenizer.json beside it). Pure (no `vscode` import) so that it can be unit-tested in plain Node.
 *
 * Accepted: non-negative integers separated by commas and/or whitespace, optionally inside one
 * pair of brackets (`[1, 17, 5]`, `1 17 5`, `1,17,5`). The ids are used exactly as written: no BOS
 * is added.
 */

export type ParsedTokenIds = { ids: number[]; error?: undefined } | { ids?: undefined; error: string };

export function parseTokenIds(text: string): ParsedTokenIds {
  let body = text.trim();
  if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1).trim();
  if (body === '') return { error: 'write token ids, separated by commas or spaces, e.g. 1, 17, 5, 300' };
  const parts = body.split(/[\s,]+/).filter((part) => part !== '');
  const ids: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part) || !Number.isSafeInteger(Number(part))) {
      return { error: `"${part.length > 24 ? `${part.slice(0, 23)}…` : part}" is not a token id: ids are non-negative integers, separated by commas or spaces` };
    }
    ids.push(Number(part));
  }
  if (ids.length < 2) return { error: 'sink measures need at least 2 tokens; write 2 or more ids' };
  return { ids };
}

export interface IdsSpan {
  ids: number[];
  /** Document offsets of the ids' text (brackets excluded). */
  start: number;
  end: number;
}

/** How far from the cursor a bracketed list is looked for (characters). */
const SCAN_LIMIT = 200_000;

/**
 * The token ids under the cursor: the selection when there is one and it is a list of ids;
 * otherwise the bracketed list of integers around the cursor (`IDS = [1, 17, 5]` in Python or
 * JS, a JSON array, over several lines too); otherwise the cursor's line when it holds only ids.
 * Null when none of them is a list of ids.
 */
export function findTokenIds(text: string, cursor: number, selection?: { start: number; end: number }): IdsSpan | null {
  if (selection && selection.end > selection.start) {
    const parsed = parseTokenIds(text.slice(selection.start, selection.end));
    return parsed.ids ? { ids: parsed.ids, start: selection.start, end: selection.end } : null;
  }
  const isListChar = (char: string) => /[\d,\s]/.test(char);
  let open = cursor - 1;
  const lowest = Math.max(0, cursor - SCAN_LIMIT);
  while (open >= lowest && isListChar(text[open])) open--;
  let close = cursor;
  const highest = Math.min(text.length, cursor + SCAN_LIMIT);
  while (close < highest && isListChar(text[close])) close++;
  // The cursor may sit on a bracket itself.
  if (text[close] === '[' && close === cursor) {
    open = close;
    close++;
    while (close < highest && isListChar(text[close])) close++;
  } else if (text[open] === ']' && open === cursor - 1) {
    close = open;
    open--;
    while (open >= lowest && isListChar(text[open])) open--;
  }
  if (text[open] === '[' && text[close] === ']') {
    const parsed = parseTokenIds(text.slice(open + 1, close));
    if (parsed.ids) return { ids: parsed.ids, start: open + 1, end: close };
  }
  const lineStart = text.lastIndexOf('\n', cursor - 1) + 1;
  const newline = text.indexOf('\n', cursor);
  const lineEnd = newline === -1 ? text.length : newline;
  const line = text.slice(lineStart, lineEnd);
  const parsed = parseTokenIds(line);
  if (!parsed.ids) return null;
  const leading = line.length - line.trimStart().length;
  return { ids: parsed.ids, start: lineStart + leading, end: lineStart + line.trimEnd().length };
}
