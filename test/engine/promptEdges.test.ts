/** Bad prompts: each gets a clear SinkLensError or a documented behaviour, never a crash. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../src/engine/analyzer';
import { SinkLensError } from '../../src/engine/errors';
import { sharedModelsMissing, stories260k } from '../support/paths';

describe('prompt edge cases (stories260k)', { skip: sharedModelsMissing() ?? false }, () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.open(stories260k, { device: 'cpu' });
  });
  after(() => analyzer?.dispose());

  const text = (value: string) => ({ kind: 'text' as const, text: value, source: 'test' });

  async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof SinkLensError, `a SinkLensError, got ${error}`);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  }

  it('an empty prompt is refused with what to do', async () => {
    await rejects(analyzer.analyze(text(''), { addBos: true }), 'empty-prompt', /prompt is empty; select or write some text/);
  });

  it('whitespace only is analysed (BOS plus the space tokens)', async () => {
    const report = await analyzer.analyze(text('   '), { addBos: true });
    assert.ok(report.tokens.length >= 2);
    assert.equal(report.tokens[0].id, 1);
  });

  it('one token without BOS is too short for sink measures', async () => {
    await rejects(analyzer.analyze(text('a'), { addBos: false }), 'prompt-too-short', /sink measures need at least 2/);
  });

  it("a prompt longer than the model's context is refused, naming both lengths", async () => {
    await rejects(analyzer.analyze(text('Once upon a time. '.repeat(200)), { addBos: true }), 'prompt-too-long', /more than the model's context of 512 tokens/);
  });

  it('maxTokens below the context wins, and says so', async () => {
    await rejects(analyzer.analyze(text('Once upon a time, there was a girl.'), { addBos: true, maxTokens: 5 }), 'prompt-too-long', /the limit of 5 tokens \(maxTokens\)/);
  });

  it('--truncate keeps the first tokens and says so in the report', async () => {
    const report = await analyzer.analyze(text('Once upon a time, there was a girl.'), { addBos: true, maxTokens: 5, truncate: true });
    assert.equal(report.tokens.length, 5);
    assert.deepEqual(
      report.warnings.map((warning) => warning.code),
      ['truncated'],
    );
  });

  it('1 MB of text is tokenized and refused as too long, quickly enough not to matter', async () => {
    await rejects(analyzer.analyze(text('x'.repeat(1 << 20)), { addBos: true }), 'prompt-too-long', /more than the model's context/);
  });

  it('lone surrogates are replaced, and ranges stay inside the text', async () => {
    const report = await analyzer.analyze(text('ab\uD800cd\uDC00e'), { addBos: true });
    assert.equal(report.prompt.text, 'ab\uFFFDcd\uFFFDe');
    for (const token of report.tokens) assert.ok(token.end <= report.prompt.text!.length);
  });

  it('an id outside the vocabulary is refused', async () => {
    await assert.rejects(analyzer.analyze({ kind: 'ids', ids: [1, 99999], source: 'test' }, { addBos: false }), /outside the model's vocabulary/);
  });
});
