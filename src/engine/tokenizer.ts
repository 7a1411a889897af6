/**
 * Prompt tokenization with exact editor ranges. The Hugging Face `tokenizers` binding computes
 * offsets itself (in code points); we convert them to UTF-16 so they are editor columns.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from 'tokenizers';
import { SinkLensError } from './errors';
import { topLevelMember } from './model/jsonMember';
import type { ReportToken } from '../protocol/report';

export interface TokenizedPrompt {
  /** The text that was tokenized (lone surrogates replaced, so offsets are well defined). */
  text: string;
  tokens: ReportToken[];
}

export class PromptTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly specialIds: Set<number>,
    readonly vocabSize: number,
  ) {}

  /**
   * The Rust tokenizer reads the file itself; of its JSON only `added_tokens` (which ids are
   * special) is parsed here. A large vocabulary (Qwen's 151k tokens, 7 MB) parsed into JavaScript
   * objects and serialised again cost more memory than everything else before the session.
   */
  static load(path: string): PromptTokenizer {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new SinkLensError('model', 'bad-tokenizer', `tokenizer.json could not be read (${firstLine(error)}); replace it with the model's own tokenizer.json`);
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = Tokenizer.fromFile(path);
    } catch (error) {
      throw new SinkLensError('model', 'bad-tokenizer', `tokenizer.json is not a Hugging Face tokenizer (${firstLine(error)}); replace it with the model's own tokenizer.json`);
    }
    const added = topLevelMember(bytes, 'added_tokens');
    const specials = Array.isArray(added) ? (added as { id?: unknown; special?: unknown }[]).filter((token) => token?.special === true && typeof token.id === 'number') : [];
    return new PromptTokenizer(tokenizer, new Set(specials.map((token) => token.id as number)), tokenizer.getVocabSize(true));
  }

  tokenToId(token: string): number | null {
    return this.tokenizer.tokenToId(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.tokenizer.idToToken(id) ?? null;
  }

  async encode(prompt: string): Promise<TokenizedPrompt> {
    const text = prompt.toWellFormed();
    let encoding: Awaited<ReturnType<Tokenizer['encode']>>;
    try {
      encoding = await this.tokenizer.encode(text, null, { addSpecialTokens: false });
    } catch (error) {
      throw new SinkLensError('model', 'tokenizer-failed', `tokenizer.json could not encode the prompt (${firstLine(error)}); check that it is the model's own tokenizer`);
    }
    const ids = encoding.getIds();
    const pieces = encoding.getTokens();
    const offsets = encoding.getOffsets();
    const utf16 = codePointToUtf16(text);
    const tokens = ids.map((id, i) => {
      const [start, end] = offsets[i];
      return { id, text: pieces[i], start: utf16[start], end: utf16[end], special: this.specialIds.has(id) };
    });
    return { text, tokens };
  }

  tokenFor(id: number): ReportToken {
    return { id, text: this.idToToken(id) ?? `<${id}>`, start: 0, end: 0, special: this.specialIds.has(id) };
  }
}

/** Maps each code-point index (and the end) to its UTF-16 offset. */
function codePointToUtf16(text: string): number[] {
  const map: number[] = [];
  let offset = 0;
  for (const char of text) {
    map.push(offset);
    offset += char.length;
  }
  map.push(offset);
  return map;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
