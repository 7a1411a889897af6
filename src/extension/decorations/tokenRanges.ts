/**
 * From prompt tokens to editor ranges. Pure (no `vscode`), unit-tested.
 *
 * A token's [start, end) is in UTF-16 units of the prompt text; the prompt's `offsets` map those to
 * document offsets (string escapes make the two differ). Tokens that share one source range (an
 * emoji split into byte tokens) become ONE group, so their decoration is drawn once and their
 * hover lists them all; tokens with no source text (BOS, an inserted '▁') are kept as "virtual"
 * tokens anchored where they would be, never dropped.
 */
import type { ReportToken } from '../../protocol/report';

export interface TokenGroup {
  /** Document offsets. */
  start: number;
  end: number;
  /** Indices into the report's tokens, in order. */
  tokens: number[];
}

export interface VirtualTokens {
  /** Document offset the tokens are anchored before. */
  at: number;
  tokens: number[];
}

export interface TokenLayout {
  groups: TokenGroup[];
  virtual: VirtualTokens[];
  /** Document range of the whole prompt. */
  start: number;
  end: number;
}

export function layoutTokens(tokens: readonly Pick<ReportToken, 'start' | 'end'>[], offsets: readonly number[]): TokenLayout {
  const last = offsets.length - 1;
  const toDocument = (index: number) => offsets[Math.max(0, Math.min(last, index))];
  const groups: TokenGroup[] = [];
  const virtual: VirtualTokens[] = [];
  tokens.forEach((token, index) => {
    if (token.end <= token.start) {
      const at = toDocument(token.start);
      const previous = virtual.at(-1);
      if (previous && previous.at === at) previous.tokens.push(index);
      else virtual.push({ at, tokens: [index] });
      return;
    }
    const start = toDocument(token.start);
    const end = toDocument(token.end);
    // Overlapping ranges (byte tokens of one character) merge into the group they overlap.
    const previous = groups.at(-1);
    if (previous && start < previous.end) {
      previous.end = Math.max(previous.end, end);
      previous.tokens.push(index);
    } else {
      groups.push({ start, end, tokens: [index] });
    }
  });
  return { groups, virtual, start: offsets[0], end: offsets[last] };
}

export interface TextEdit {
  /** Offset and length in the document before the edit. */
  rangeOffset: number;
  rangeLength: number;
  textLength: number;
}

/**
 * Where the layout goes after edits: shifted when every edit is before it, unchanged when after,
 * and `null` (clear it) when an edit touches the prompt text, so no shading is left on the wrong text.
 */
export function layoutAfterEdits(layout: TokenLayout, edits: readonly TextEdit[]): TokenLayout | null {
  let shift = 0;
  for (const edit of edits) {
    const editEnd = edit.rangeOffset + edit.rangeLength;
    // An insertion exactly at either end of the prompt changes the prompt, so it counts as touching.
    const before = editEnd < layout.start || (editEnd === layout.start && edit.rangeLength > 0);
    const after = edit.rangeOffset > layout.end || (edit.rangeOffset === layout.end && edit.rangeLength > 0);
    if (before) shift += edit.textLength - edit.rangeLength;
    else if (!after) return null;
  }
  if (shift === 0) return layout;
  return {
    start: layout.start + shift,
    end: layout.end + shift,
    groups: layout.groups.map((group) => ({ ...group, start: group.start + shift, end: group.end + shift })),
    virtual: layout.virtual.map((entry) => ({ ...entry, at: entry.at + shift })),
  };
}

/** Shading level 0..levels for a value, on a square-root scale so that small values stay visible next to a sink. */
export function shadeLevel(value: number, max: number, levels = 5): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.max(1, Math.min(levels, Math.round(levels * Math.sqrt(value / max))));
}

const BLOCKS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return '';
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return values
    .map((value) => {
      if (!Number.isFinite(value)) return ' ';
      const ratio = max > min ? (value - min) / (max - min) : 0.5;
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.round(ratio * (BLOCKS.length - 1)))];
    })
    .join('');
}

/**
 * What ONE hover card at a document offset is about: the tokens whose source text is there (all of
 * them when they share it: the byte tokens of one emoji), with the tokens that have no source text
 * and stand just before them (BOS) mentioned in the same card; or, where no token's text is, the
 * tokens with no source text drawn there. VS Code asks for the character before a label drawn in
 * front of the text when the pointer is on that label, so a virtual token answers for the offset
 * just before its anchor too. Null: no token here.
 */
export function hoverTarget(layout: TokenLayout, offset: number): { tokens: number[]; before: number[]; range: { start: number; end: number } | null } | null {
  const group = layout.groups.find((entry) => offset >= entry.start && offset < entry.end);
  if (group) {
    const before = layout.virtual.filter((entry) => entry.at === group.start).flatMap((entry) => entry.tokens);
    return { tokens: group.tokens, before, range: { start: group.start, end: group.end } };
  }
  const virtual = layout.virtual.filter((entry) => entry.at === offset || entry.at === offset + 1);
  if (virtual.length === 0) return null;
  return { tokens: virtual.flatMap((entry) => entry.tokens), before: [], range: null };
}
