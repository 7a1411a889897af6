/**
 * Opening a model a second time reuses what the first open learnt (src/engine/model/openCache.ts):
 * the same numbers, nothing parsed, and any cache entry that fails a check (damaged, its files gone
 * or changed, the model file changed) is rebuilt rather than read.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer, bundledModelPath } from '../../src/engine/analyzer';
import type { SinkReport } from '../../src/protocol/report';
import { fixture } from '../support/fixtures';
import { torchMissing } from '../support/torchReference';
import { WILD_SPECS } from '../support/wildExports';

const IDS = [1, 5, 9, 12, 40, 77, 150, 259, 260, 300, 322, 7];

/** Everything a report measures (not how long it took). */
function numbers(report: SinkReport): unknown {
  const { runtime: _runtime, ...rest } = report;
  return rest;
}

async function openAndAnalyze(model: string, ids = IDS): Promise<{ fromCache: boolean; report: SinkReport }> {
  const analyzer = await Analyzer.open(model, { device: 'cpu' });
  try {
    return { fromCache: analyzer.openedFromCache, report: await analyzer.analyze({ kind: 'ids', ids, source: 'test' }, { addBos: false }) };
  } finally {
    await analyzer.dispose();
  }
}

describe('the open cache', () => {
  const previous = process.env.SINK_LENS_CACHE;
  let cache: string;
  let model: string;
  before(() => {
    cache = mkdtempSync(join(tmpdir(), 'sink-lens-open-cache-'));
    process.env.SINK_LENS_CACHE = cache;
    // A copy of the demo model, so that its file can be touched.
    model = mkdtempSync(join(tmpdir(), 'sink-lens-open-model-'));
    for (const file of ['model.onnx', 'config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(bundledModelPath(), file), join(model, file));
  });
  after(() => {
    if (previous === undefined) delete process.env.SINK_LENS_CACHE;
    else process.env.SINK_LENS_CACHE = previous;
  });

  const entries = () => readdirSync(join(cache, 'opened')).map((name) => join(cache, 'opened', name));
  const optimizedCopies = () =>
    readdirSync(cache, { recursive: true, encoding: 'utf8' })
      .filter((name) => /optimized-.*\.onnx$/.test(name))
      .map((name) => join(cache, name));

  it('a second open comes from the cache and gives the same numbers as the first', async () => {
    const cold = await openAndAnalyze(model);
    assert.equal(cold.fromCache, false);
    assert.equal(entries().length, 1, 'one entry written');
    assert.equal(optimizedCopies().length, 1, 'and the optimized probed copy beside the probed one');
    const warm = await openAndAnalyze(model);
    assert.equal(warm.fromCache, true);
    assert.deepEqual(numbers(warm.report), numbers(cold.report));
  });

  it('a damaged entry is rebuilt, not read', async () => {
    const [entry] = entries();
    const text = readFileSync(entry, 'utf8');
    writeFileSync(entry, text.replace('"probedSize":', '"probedSize":9')); // valid JSON, another size: the checksum fails
    assert.equal((await openAndAnalyze(model)).fromCache, false);
    writeFileSync(entry, text.slice(0, text.length >> 1)); // half-written
    assert.equal((await openAndAnalyze(model)).fromCache, false);
    assert.equal((await openAndAnalyze(model)).fromCache, true, 'rebuilt, and read again after that');
  });

  it('an entry whose optimized copy is gone or changed is rebuilt', async () => {
    const [optimized] = optimizedCopies();
    truncateSync(optimized, 1000);
    const rebuilt = await openAndAnalyze(model);
    assert.equal(rebuilt.fromCache, false);
    assert.equal((await openAndAnalyze(model)).fromCache, true);
  });

  it('a changed model file is a different key', async () => {
    const later = new Date(Date.now() + 5000);
    utimesSync(join(model, 'model.onnx'), later, later);
    assert.equal((await openAndAnalyze(model)).fromCache, false);
    assert.equal(entries().length, 2);
  });
});

// Exports whose other inputs Sink Lens feeds (a causal mask whose fill is read from the graph, an
// fp16 mask, a fixed length): opened from the cache, with no graph to ask, they are fed as when parsed.
describe('the open cache with exporter inputs from the wild', { skip: torchMissing() ?? false }, () => {
  const previous = process.env.SINK_LENS_CACHE;
  before(() => (process.env.SINK_LENS_CACHE = mkdtempSync(join(tmpdir(), 'sink-lens-open-cache-wild-'))));
  after(() => {
    if (previous === undefined) delete process.env.SINK_LENS_CACHE;
    else process.env.SINK_LENS_CACHE = previous;
  });

  for (const spec of WILD_SPECS.filter((candidate) => ['gpt2-mask-keep', 'gpt2-mask-additive', 'gpt2-fixed-length', 'llama-mask-only'].includes(candidate.name))) {
    it(`${spec.name}: the same numbers from the cache`, async () => {
      const cold = await openAndAnalyze(fixture(spec.name), spec.ids);
      const warm = await openAndAnalyze(fixture(spec.name), spec.ids);
      assert.deepEqual([cold.fromCache, warm.fromCache], [false, true]);
      assert.deepEqual(numbers(warm.report), numbers(cold.report));
    });
  }

  it('a fixed-length export opened from the cache still refuses another length, saying both', async () => {
    await openAndAnalyze(fixture('gpt2-fixed-length'), WILD_SPECS.find((spec) => spec.name === 'gpt2-fixed-length')!.ids);
    await assert.rejects(openAndAnalyze(fixture('gpt2-fixed-length'), [0, 1, 2]), /has a fixed length of 16 tokens, but the prompt has 3/);
  });
});
