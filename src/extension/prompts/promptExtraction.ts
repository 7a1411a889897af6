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
 * The finders live beside this file: stringLiterals.ts, yamlValues.ts, textBlocks.ts.
 */
import { findStringLiteral } from './stringLiterals';
import { findFencedBlock, findParagraph } from './textBlocks';
import { findYamlValue } from './yamlValues';
import { flavorOf, identitySpan, type DocumentText, type PromptSpan } from './promptSpan';

export function extractPrompt(document: DocumentText, cursor: number, selection?: { start: number; end: number }): PromptSpan | null {
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
