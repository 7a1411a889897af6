/** One top-level member of a JSON object, read without building the others (model/jsonMember.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { topLevelMember } from '../../src/engine/model/jsonMember';
import { sharedModelsMissing, stories260k } from '../support/paths';

const bytes = (value: unknown, indent?: number) => new TextEncoder().encode(JSON.stringify(value, null, indent));

describe('topLevelMember', () => {
  const document = {
    version: '1.0',
    model: { vocab: { added_tokens: 5, '"}]{[': 6, 'é€😀': 7 }, merges: ['a b', '\\" ]'] },
    truncation: null,
    padding: false,
    count: -12.5e3,
    added_tokens: [{ id: 1, content: '<s>', special: true }],
  };

  it('finds a member after others of every kind, whatever they contain, and ignores nested keys of the same name', () => {
    for (const indent of [undefined, 2]) {
      assert.deepEqual(topLevelMember(bytes(document, indent), 'added_tokens'), document.added_tokens);
      assert.equal(topLevelMember(bytes(document, indent), 'count'), -12500);
      assert.equal(topLevelMember(bytes(document, indent), 'truncation'), null);
      assert.deepEqual(topLevelMember(bytes(document, indent), 'model'), document.model);
    }
  });

  it('gives undefined for a missing key or a value that is not an object', () => {
    assert.equal(topLevelMember(bytes(document), 'normalizer'), undefined);
    assert.equal(topLevelMember(bytes([1, 2]), 'added_tokens'), undefined);
    assert.equal(topLevelMember(new TextEncoder().encode('  '), 'added_tokens'), undefined);
  });

  it('reads a real tokenizer.json as JSON.parse does', { skip: sharedModelsMissing() ?? false }, () => {
    const file = readFileSync(join(stories260k, 'tokenizer.json'));
    assert.deepEqual(topLevelMember(file, 'added_tokens'), JSON.parse(file.toString('utf8')).added_tokens);
  });
});
