/**
 * The trace cache's entries (src/engine/trace/traceCache.ts) and the shards' split
 * (traceShards.ts): an entry is used only when it is whole, checked and this checkpoint's with
 * these settings; a NaN loss survives JSON; every split covers the list once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TraceCache, type Measurement } from '../../src/engine/trace/traceCache';
import { parseShard, shareOf } from '../../src/engine/trace/traceShards';

const circuit = { formationDepth: 1, sinkOnsetLayer: 1, withinTwoBlocks: true, concentration: 0.5 };
const measurement = (loss: number): Measurement => ({
  executionProvider: 'cpu',
  depths: [0, 0.5, 1],
  sinkRate: { all: 0.5, fromLayer2: null },
  formationDepth: 1,
  sinkOnsetLayer: 1,
  concentration: 0.5,
  p0NormRatio: [1, 2.5, null],
  loss,
  prompts: [{ sinkRate: { all: 0.5, fromLayer2: null }, p0NormRatio: [1, 2.5, null], circuit, loss }],
});

describe('trace cache entries', () => {
  const folder = mkdtempSync(join(tmpdir(), 'sink-lens-trace-cache-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('reads back what it wrote, NaN loss included, and leaves no temporary file', () => {
    const cache = new TraceCache(folder, 'settings A');
    assert.deepEqual(cache.read('identity 1'), { kind: 'missing' });
    cache.write('identity 1', measurement(2.5));
    assert.deepEqual(cache.read('identity 1'), { kind: 'hit', measurement: measurement(2.5) });
    cache.write('identity 2', measurement(NaN));
    const hit = cache.read('identity 2');
    assert.ok(hit.kind === 'hit' && Number.isNaN(hit.measurement.loss) && Number.isNaN(hit.measurement.prompts[0].loss));
    assert.deepEqual(
      readdirSync(folder).filter((name) => !name.endsWith('.json')),
      [],
    );
  });

  it('never uses a truncated entry, one of another version, or one that is not this checkpoint with these settings', () => {
    const cache = new TraceCache(folder, 'settings A');
    cache.write('identity 3', measurement(1));
    const file = cache.fileFor('identity 3');
    truncateSync(file, 40);
    assert.equal(cache.read('identity 3').kind, 'unreadable');
    writeFileSync(file, JSON.stringify({ schema: 'sink-lens/trace-cache@0', identity: 'identity 3', settings: 'settings A', measurement: measurement(1) }));
    assert.match(JSON.stringify(cache.read('identity 3')), /not a sink-lens\/trace-cache@1 entry/);
    writeFileSync(file, JSON.stringify({ schema: 'sink-lens/trace-cache@1', identity: 'identity 4', settings: 'settings A', measurement: measurement(1) }));
    assert.match(JSON.stringify(cache.read('identity 3')), /the entry of another checkpoint or settings/);
    writeFileSync(file, JSON.stringify({ schema: 'sink-lens/trace-cache@1', identity: 'identity 3', settings: 'settings A', measurement: { ...measurement(1), depths: 'three' } }));
    assert.match(JSON.stringify(cache.read('identity 3')), /entry\.depths: expected an array of numbers/);
    assert.equal(new TraceCache(folder, 'settings B').read('identity 1').kind, 'missing', 'other settings are another entry');
  });
});

describe('shards', () => {
  it('share I of N is every N-th from the I-th: the shares cover the list once', () => {
    const items = Array.from({ length: 11 }, (_, i) => i);
    for (const count of [1, 2, 3, 4, 11, 15]) {
      const shares = Array.from({ length: count }, (_, index) => shareOf(items, parseShard(`${index}/${count}`)));
      assert.deepEqual(
        shares.flat().sort((a, b) => a - b),
        items,
        `${count} shards`,
      );
    }
    assert.deepEqual(shareOf(items, parseShard(' 1 / 3 ')), [1, 4, 7, 10]);
    for (const bad of ['3/3', '-1/3', '1of3', '0/0', '1.5/3', '']) assert.throws(() => parseShard(bad), /--shard/);
  });
});
