/**
 * A prompt found in a document: its decoded text and where it came from, with `offsets` mapping
 * every UTF-16 unit of the text back to the document (string escapes make the two differ). Shared by
 * the finders (promptExtraction.ts and the files beside it). Pure.
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

export type Flavor = 'python' | 'js' | 'json' | 'yaml' | 'markdown' | 'prose' | 'other-code';

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

export function identitySpan(kind: PromptKind, text: string, start: number, end: number): PromptSpan {
  const offsets = new Array<number>(end - start + 1);
  for (let i = 0; i <= end - start; i++) offsets[i] = start + i;
  return { kind, text: text.slice(start, end), start, end, offsets };
}
