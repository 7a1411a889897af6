import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SinkReport } from '../../src/protocol/report';
import { RunStore, type RunRecord } from '../../src/extension/storage/runStore';
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

describe('RunStore', () => {
  it('adds, lists newest first, loads, survives a new instance, deletes; leaves no temporary files', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sink-lens-store-'));
    try {
      const store = new RunStore(folder);
      const report = { schema: 'sink-lens/report@1' } as unknown as SinkReport;
      await store.add(record('a1'), { report, received: [[1, 0]], offsets: [0, 5] });
      await store.add(record('b2'), { report, received: [null], offsets: null });
      assert.deepEqual((await store.list()).map((run) => run.id), ['b2', 'a1']);
      const reopened = new RunStore(folder);
      assert.deepEqual((await reopened.list()).map((run) => run.id), ['b2', 'a1']);
      assert.deepEqual((await reopened.load('a1'))?.received, [[1, 0]]);
      await reopened.delete('a1');
      assert.deepEqual((await new RunStore(folder).list()).map((run) => run.id), ['b2']);
      assert.equal(await reopened.load('a1'), undefined);
      assert.deepEqual(readdirSync(folder).filter((name) => name.endsWith('.tmp')), []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('rejects run ids that could escape the folder', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'sink-lens-store-')));
    await assert.rejects(store.add(record('../x'), { report: {} as SinkReport, received: [], offsets: null }));
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
      assert.deepEqual(index.map((record) => [record.id, record.checkpoints]), [[id, 4]]);
      assert.equal((await new TraceStore(storage).load(id))?.schema, 'sink-lens/trace@1');
      assert.equal(await store.load('../runs'), undefined, 'ids outside [0-9a-f] are never read');
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
  });
});
