/**
 * Thousands of damaged model and tokenizer files: the loader must either accept them or fail with
 * a SinkLensError (a clean, actionable message), never a TypeError, a hang or a crash. A sample of
 * the damaged models that still parse also goes through onnxruntime via the CLI, in child
 * processes, so that a native crash would show up as a failed test rather than a dead runner.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../src/engine/errors';
import { probedStructure } from '../../src/engine/model/preparedModel';
import { MemorySource } from '../../src/engine/onnx/byteSource';
import { parseModel } from '../../src/engine/onnx/proto';
import { PromptTokenizer } from '../../src/engine/tokenizer';
import { cliPath, onnxExports, sharedModelsMissing, stories260k } from '../support/paths';

function seeded(seed: number): (limit: number) => number {
  return (limit) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % limit;
  };
}

/** Byte ranges that hold graph structure (nodes, inputs, outputs), where damage matters most. */
function structuralRanges(bytes: Uint8Array): [number, number][] {
  return parseModel(bytes)
    .graph.fields.filter((field) => field.field !== 5)
    .map((field) => [field.start, field.end]);
}

function mutate(bytes: Uint8Array, ranges: [number, number][], random: (limit: number) => number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const [start, end] = random(10) < 8 ? ranges[random(ranges.length)] : [0, bytes.length];
  const at = start + random(Math.max(1, end - start));
  switch (random(5)) {
    case 0:
      for (let i = 0, n = 1 + random(8); i < n; i++) copy[Math.min(copy.length - 1, at + random(16))] ^= 1 << random(8);
      return copy;
    case 1:
      return copy.subarray(0, at);
    case 2:
      return Buffer.concat([copy.subarray(0, at), Uint8Array.from({ length: 1 + random(12) }, () => random(256)), copy.subarray(at)]);
    case 3:
      copy.fill(random(2) ? 0 : 0xff, at, Math.min(copy.length, at + 1 + random(64)));
      return copy;
    default:
      return Buffer.concat([copy.subarray(0, at), copy.subarray(Math.min(copy.length, at + 1 + random(32)))]);
  }
}

describe('fuzzed model and tokenizer files fail cleanly', { skip: sharedModelsMissing() ?? false }, () => {
  const models = [join(stories260k, 'model.onnx'), join(onnxExports, 'tiny-random-gpt2-fp32', 'past.onnx'), join(onnxExports, 'tiny-qwen35-cuda', 'decoder.onnx')];
  const survivors: Uint8Array[] = [];

  it('3000 mutated models: accepted or a SinkLensError', () => {
    const random = seeded(20261129);
    const outcomes = { accepted: 0, rejected: 0 };
    const originals = models.map((path) => readFileSync(path));
    const ranges = originals.map(structuralRanges);
    for (let round = 0; round < 3000; round++) {
      const which = round % models.length;
      const mutated = mutate(originals[which], ranges[which], random);
      try {
        probedStructure(new MemorySource(mutated), 'fuzz.onnx');
        outcomes.accepted++;
        if (survivors.length < 24 && round % 3 === 0) survivors.push(mutated);
      } catch (error) {
        if (!(error instanceof SinkLensError)) assert.fail(`round ${round}: ${(error as Error).stack}`);
        assert.doesNotMatch(error.message, /\n/, 'one line');
        outcomes.rejected++;
      }
    }
    assert.ok(outcomes.rejected > 500, `most damage is caught (${JSON.stringify(outcomes)})`);
  });

  it('damaged models that still parse go through onnxruntime without crashing', () => {
    const folder = mkdtempSync(join(tmpdir(), 'sink-lens-fuzz-'));
    for (const [i, bytes] of survivors.entries()) {
      const path = join(folder, `m${i}.onnx`);
      writeFileSync(path, bytes);
      const result = spawnSync(process.execPath, [cliPath, 'analyze', '--model', path, '--ids', '1,2,3,4', '--device', 'cpu', '--out', join(folder, `r${i}.json`)], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.ok([0, 3, 4].includes(result.status ?? -1), `model ${i}: exit ${result.status} signal ${result.signal}\n${result.stderr}`);
      if (result.status !== 0) assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
    }
  });

  it('1000 mutated tokenizer.json files: loaded or a SinkLensError', async () => {
    const random = seeded(7);
    const text = readFileSync(join(stories260k, 'tokenizer.json'), 'utf8');
    const folder = mkdtempSync(join(tmpdir(), 'sink-lens-fuzz-'));
    const path = join(folder, 'tokenizer.json');
    for (let round = 0; round < 1000; round++) {
      const at = random(text.length);
      const damaged = [
        () => text.slice(0, at),
        () => text.slice(0, at) + text.slice(at + 1 + random(40)),
        () => text.slice(0, at) + '"x"' + text.slice(at),
        () => text.replace(/"type": "\w+"/, '"type": "Nonsense"'),
        () => text.replace(/\d+/g, (digits) => (random(50) === 0 ? String(-Number(digits)) : digits)),
      ][random(5)]();
      writeFileSync(path, damaged);
      try {
        const tokenizer = PromptTokenizer.load(path);
        await tokenizer.encode('Once upon a time 😀');
      } catch (error) {
        if (!(error instanceof SinkLensError)) assert.fail(`round ${round}: ${(error as Error).stack}`);
      }
    }
  });
});
