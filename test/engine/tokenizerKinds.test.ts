/**
 * Tokenizer model kinds beyond the shared models' BPE: WordPiece (BERT-style normalizer and
 * pre-tokenizer) and Unigram (Metaspace). Small hand-written tokenizer.json files; the check is
 * that every token's range covers exactly the text it came from.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PromptTokenizer } from '../../src/engine/tokenizer';

function tokenizerFile(json: object): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sink-lens-tok-')), 'tokenizer.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}

const unk = (content: string) => ({ id: 0, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

describe('tokenizer kinds', () => {
  it('WordPiece: lower-cased words and ## continuations map back to the original text', async () => {
    const tokenizer = PromptTokenizer.load(
      tokenizerFile({
        version: '1.0',
        added_tokens: [unk('[UNK]')],
        normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
        pre_tokenizer: { type: 'BertPreTokenizer' },
        post_processor: null,
        decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
        model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0, hello: 1, world: 2, '##s': 3, '!': 4 } },
      }),
    );
    const { text, tokens } = await tokenizer.encode('Hello Worlds! 😀');
    assert.deepEqual(
      tokens.map((token) => token.text),
      ['hello', 'world', '##s', '!', '[UNK]'],
    );
    assert.deepEqual(
      tokens.map((token) => text.slice(token.start, token.end)),
      ['Hello', 'World', 's', '!', '😀'],
    );
    assert.equal(tokens[4].special, true);
  });

  it('Unigram with Metaspace: the ▁ marks the space it replaced', async () => {
    const tokenizer = PromptTokenizer.load(
      tokenizerFile({
        version: '1.0',
        added_tokens: [unk('<unk>')],
        normalizer: null,
        pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
        post_processor: null,
        decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
        model: {
          type: 'Unigram',
          unk_id: 0,
          byte_fallback: false,
          vocab: [
            ['<unk>', 0],
            ['▁hello', -1],
            ['▁world', -1],
            ['▁', -2],
            ['s', -3],
            ['o', -3],
            ['l', -3],
          ],
        },
      }),
    );
    const { text, tokens } = await tokenizer.encode('hello worlds');
    assert.deepEqual(
      tokens.map((token) => token.text),
      ['▁hello', '▁world', 's'],
    );
    assert.deepEqual(
      tokens.map((token) => text.slice(token.start, token.end)),
      ['hello', ' world', 's'],
    );
  });
});
