import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SinkReport } from '../../src/protocol/report';
import { toReportArrays, type ReportArrays } from '../../src/protocol/runReport';
import { packDocument } from '../../src/extension/storage/packedDocument';
import { RunStore, type RunRecord, type StoredRun } from '../../src/extension/storage/runStore';
import { fakeReport } from '../support/fakeReport';
import type { TraceDocument } from '../../src/protocol/trace';
import { TraceStore, traceIdFor, type TraceRecord } from '../../src/extension/storage/traceStore';

function record(id: string): RunRecord {
  return {
    id,
    modelPath: '/m/model.onnx',
    modelName: 'm',
    createdAt: new Date(0).toISOString(),
    executionProvider: 'cpu',
    promptPreview: 'hello',
    prompt: { kind: 'text', text: 'hello', source: 'test' },
    options: { addBos: true, epsilon: 0.3, maxTokens: 2048 },
    documentUri: null,
    sinkScore: [[0.5]],
    sinkRate: 1,
    epsilon: 0.3,
    uniformBaseline: 0.75,
  };
}

/**
 * The JSON report of a run of `tokens` tokens on 4 layers × 4 heads, with float32 values as the engine
 * gives them, nulls where a norm is absent and a layer with no MLP activation (mixture of experts).
 */
function jsonReport(tokens: number, seed: number): SinkReport {
  const values = (count: number, offset: number) => Array.from({ length: count }, (_, i) => Math.fround(Math.abs(Math.sin(seed * 1000 + offset + i))));
  const base = fakeReport();
  return {
    ...base,
    model: { ...base.model, layers: 4, heads: 4 },
    tokens: Array.from({ length: tokens }, (_, i) => ({ id: i, text: `t${i}`, start: i, end: i + 1, special: i === 0 })),
    residual: { depths: [0, 0.5, 1], norms: [values(tokens, 1), [null, ...values(tokens - 1, 2)], values(tokens, 3)], p0NormRatio: [1.5, null, 2 / 3], p0Separation: [null, 0.5, 0.25] },
    attention: {
      ...base.attention,
      firstTokenAttention: Array.from({ length: 4 }, (_, l) => Array.from({ length: 4 }, (_, h) => values(tokens, 10 + l * 4 + h))),
      received: Array.from({ length: 4 }, (_, l) => values(tokens, 40 + l)),
      sinkScore: Array.from({ length: 4 }, (_, l) => values(4, 50 + l)),
    },
    mlp: {
      layers: [
        { layer: 0, norms: values(tokens, 60) },
        { layer: 1, norms: null },
      ],
    },
  };
}

/** A run as the host stores it: the report as the worker sent it (typed arrays). */
function storedRun(tokens: number, seed: number): StoredRun {
  return { report: toReportArrays(jsonReport(tokens, seed)), offsets: [0, 5, 9], sourceText: 'hello' };
}

/** A run's file as versions before this one wrote it: the JSON report without attention.received, kept beside it per layer. */
function formerStoredRun(tokens: number, seed: number) {
  const { received, ...attention } = jsonReport(tokens, seed).attention;
  return { former: { report: { ...jsonReport(tokens, seed), attention }, received: received!, offsets: [0, 5, 9], sourceText: 'hello' }, received: received! };
}

/** Every bulk array of a loaded report is a Float32Array. */
function assertTyped(report: ReportArrays): void {
  assert.ok(report.residual.norms.every((row) => row instanceof Float32Array));
  assert.ok(report.attention.firstTokenAttention.every((heads) => heads.every((row) => row instanceof Float32Array)));
  assert.ok(report.attention.received?.every((row) => row instanceof Float32Array));
  assert.ok(report.mlp.layers.every((entry) => entry.norms === null || entry.norms instanceof Float32Array));
}

/** Runs `body` on a new temporary folder, removed afterwards. */
async function inStoreFolder(body: (folder: string) => Promise<void>): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'sink-lens-store-'));
  try {
    await body(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('RunStore', () => {
  it('adds, lists newest first, loads, survives a new instance, deletes; leaves no temporary files', async () => {
    await inStoreFolder(async (folder) => {
      const store = new RunStore(folder);
      await store.add(record('a1'), storedRun(4, 1));
      await store.add(record('b2'), { ...storedRun(4, 2), offsets: null });
      assert.deepEqual(
        (await store.list()).map((run) => run.id),
        ['b2', 'a1'],
      );
      const reopened = new RunStore(folder);
      assert.deepEqual(
        (await reopened.list()).map((run) => run.id),
        ['b2', 'a1'],
      );
      assert.deepEqual((await reopened.load('a1'))?.report.attention.received, storedRun(4, 1).report.attention.received);
      await reopened.delete('a1');
      assert.deepEqual(
        (await new RunStore(folder).list()).map((run) => run.id),
        ['b2'],
      );
      assert.equal(await reopened.load('a1'), undefined);
      assert.deepEqual(
        readdirSync(folder).filter((name) => name.endsWith('.tmp')),
        [],
      );
    });
  });

  it('round-trips a stored run through its binary file exactly, typed as it was sent, a fraction of its JSON size', async () => {
    await inStoreFolder(async (folder) => {
      const run = storedRun(512, 7);
      await new RunStore(folder).add(record('r1'), run);
      const loaded = (await new RunStore(folder).load('r1'))!;
      assertTyped(loaded.report);
      assert.deepEqual(loaded, run);
      // NaN (a norm the graph does not compute) stays NaN; a layer without MLP norms stays null.
      assert.ok(Number.isNaN(loaded.report.residual.norms[1][0]));
      assert.equal(loaded.report.mlp.layers[1].norms, null);
      // attention.received is in the report, not kept a second time beside it.
      assert.equal(Object.hasOwn(loaded, 'received'), false);
      const json = Buffer.byteLength(JSON.stringify(jsonReport(512, 7)));
      const bytes = statSync(join(folder, 'run-r1.slrun')).size;
      assert.ok(bytes < json / 3, `${bytes} bytes against ${json} of JSON`);
    });
  });

  it('keeps the stored runs within the size limit, dropping the oldest first and always keeping the newest', async () => {
    await inStoreFolder(async (folder) => {
      let limit = Infinity;
      const store = new RunStore(folder, () => limit);
      for (const id of ['r1', 'r2', 'r3']) assert.deepEqual(await store.add(record(id), storedRun(256, id.length)), []);
      const size = statSync(join(folder, 'run-r1.slrun')).size;
      limit = size * 2.5;
      assert.deepEqual(await store.add(record('r4'), storedRun(256, 4)), ['r2', 'r1']);
      assert.deepEqual(
        (await new RunStore(folder).list()).map((run) => run.id),
        ['r4', 'r3'],
      );
      assert.deepEqual(
        readdirSync(folder)
          .filter((name) => name.startsWith('run-'))
          .sort(),
        ['run-r3.slrun', 'run-r4.slrun'],
      );
      assert.equal(await store.load('r1'), undefined);
      // A lower limit applies when asked (the setting changed); a run larger than the limit alone stays.
      limit = 1;
      assert.deepEqual(await store.prune(), ['r3']);
      assert.deepEqual(
        (await store.list()).map((run) => run.id),
        ['r4'],
      );
      assert.ok(await store.load('r4'));
    });
  });

  it('opens a run stored as JSON by an earlier version (attention received beside the report), counts it in the limit and removes it with its run', async () => {
    await inStoreFolder(async (folder) => {
      const { former, received } = formerStoredRun(64, 9);
      writeFileSync(join(folder, 'runs.json'), JSON.stringify({ version: 1, runs: [record('old')] }));
      writeFileSync(join(folder, 'run-old.json'), JSON.stringify(former));
      const oldBytes = statSync(join(folder, 'run-old.json')).size;
      let limit = Infinity;
      const store = new RunStore(folder, () => limit);
      const loaded = (await store.load('old'))!;
      assertTyped(loaded.report);
      assert.deepEqual(loaded, storedRun(64, 9), 'the same run as this version stores, attention received moved into the report');
      assert.deepEqual(
        loaded.report.attention.received!.map((row) => Array.from(row)),
        received,
      );
      await store.add(record('new'), storedRun(64, 10));
      limit = oldBytes + statSync(join(folder, 'run-new.slrun')).size - 1;
      assert.deepEqual(await store.prune(), ['old']);
      assert.deepEqual(
        readdirSync(folder).filter((name) => name.startsWith('run-')),
        ['run-new.slrun'],
      );
    });
  });

  it('opens a binary run file of the previous version (attention received beside the report); one with a layer missing shows none', async () => {
    await inStoreFolder(async (folder) => {
      const { former } = formerStoredRun(64, 11);
      writeFileSync(join(folder, 'runs.json'), JSON.stringify({ version: 1, runs: [record('p1'), record('p2')] }));
      writeFileSync(join(folder, 'run-p1.slrun'), packDocument(former));
      writeFileSync(join(folder, 'run-p2.slrun'), packDocument({ ...former, received: [former.received[0], null, null, null] }));
      const store = new RunStore(folder);
      assert.deepEqual(await store.load('p1'), storedRun(64, 11));
      assert.equal((await store.load('p2'))!.report.attention.received, undefined);
    });
  });

  it('reads a file that is not a run as missing', async () => {
    await inStoreFolder(async (folder) => {
      writeFileSync(join(folder, 'runs.json'), JSON.stringify({ version: 1, runs: [record('x1')] }));
      writeFileSync(join(folder, 'run-x1.json'), JSON.stringify({ report: { schema: 'sink-lens/report@1' } }));
      assert.equal(await new RunStore(folder).load('x1'), undefined);
    });
  });

  it('rejects run ids that could escape the folder', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'sink-lens-store-')));
    await assert.rejects(store.add(record('../x'), { ...storedRun(4, 1), offsets: null }));
  });

  it('reads a missing or corrupt index as empty', async () => {
    assert.deepEqual(await new RunStore(join(tmpdir(), 'does-not-exist-sink-lens')).list(), []);
  });
});

describe('TraceStore', () => {
  it('keeps its own layout (traces/index.json as a list, traces/<id>.json); the same folder and prompts replace the older trace', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'sink-lens-traces-'));
    try {
      const id = traceIdFor('/models/run', ['a', 'b']);
      const trace = (checkpoints: number): TraceRecord => ({ id, folder: '/models/run', name: 'models/run', checkpoints, prompts: 2, createdAt: '', executionProvider: 'cpu' });
      const store = new TraceStore(storage);
      await store.add(trace(3), { schema: 'sink-lens/trace@1' } as unknown as TraceDocument);
      await store.add(trace(4), { schema: 'sink-lens/trace@1' } as unknown as TraceDocument);
      const index = JSON.parse(readFileSync(join(storage, 'traces', 'index.json'), 'utf8')) as TraceRecord[];
      assert.deepEqual(
        index.map((record) => [record.id, record.checkpoints]),
        [[id, 4]],
      );
      assert.equal((await new TraceStore(storage).load(id))?.schema, 'sink-lens/trace@1');
      assert.equal(await store.load('../runs'), undefined, 'ids outside [0-9a-f] are never read');
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
  });
});
