/**
 * Where the graph built for a checkpoint lives: in the cache folder, keyed by the checkpoint's
 * content identity, with the weight files hard-linked beside it (never read, never copied where a
 * link can be made); copied, with a warning that says so and how much, where the cache is on
 * another filesystem.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Analyzer } from '../../src/engine/analyzer';
import { buildCheckpoint } from '../../src/engine/hf/builtCheckpoint';
import { assertClose } from '../support/compare';
import { hfCheckpoint } from '../support/hfFixtures';
import { repoRoot } from '../support/paths';
import { torchMissing } from '../support/torchReference';

const scratch = (prefix: string, root = tmpdir()) => mkdtempSync(join(root, prefix));

describe('the graph built for a checkpoint', { skip: torchMissing() ?? false }, () => {
  it('is cached with hard links to the weight files, and found again without being rewritten', () => {
    const cache = scratch('sink-lens-hf-cache-');
    const folder = hfCheckpoint('hf-qwen2');
    const first = buildCheckpoint(folder, null, cache);
    assert.deepEqual(first.weightFiles, ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    for (const file of first.weightFiles) {
      const [linked, original] = [statSync(join(first.onnx, '..', file)), statSync(join(folder, file))];
      assert.equal(linked.ino, original.ino, `${file} is a hard link to the checkpoint's file`);
      assert.ok(original.nlink >= 2);
    }
    assert.deepEqual(first.warnings, []);
    const written = statSync(first.onnx).mtimeMs;
    const second = buildCheckpoint(folder, null, cache);
    assert.equal(second.onnx, first.onnx);
    assert.equal(statSync(second.onnx).mtimeMs, written, 'found in the cache, not written again');
  });

  it('another copy of the same weights (another file) gets its own build, so links never point at another checkpoint', () => {
    const cache = scratch('sink-lens-hf-cache-');
    const folder = join(scratch('sink-lens-hf-copy-'), 'checkpoint');
    cpSync(hfCheckpoint('hf-llama'), folder, { recursive: true });
    const before = buildCheckpoint(folder, null, cache);
    copyFileSync(join(folder, 'model.safetensors'), join(folder, 'replacement'));
    renameSync(join(folder, 'replacement'), join(folder, 'model.safetensors'));
    const after = buildCheckpoint(folder, null, cache);
    assert.notEqual(after.onnx, before.onnx);
    assert.equal(statSync(join(after.onnx, '..', 'model.safetensors')).ino, statSync(join(folder, 'model.safetensors')).ino);
  });

  const shm = '/dev/shm';
  const sameFilesystem = (() => {
    try {
      return statSync(shm).dev === statSync(repoRoot).dev ? `${shm} is on the checkpoints' filesystem here` : null;
    } catch {
      return `no ${shm} here to put a cache on another filesystem`;
    }
  })();

  it('copies the weights where the cache is on another filesystem, and every report says so with the size', { skip: sameFilesystem ?? false }, async () => {
    const folder = hfCheckpoint('hf-llama');
    const saved = process.env.SINK_LENS_CACHE;
    process.env.SINK_LENS_CACHE = scratch('sink-lens-hf-cache-', shm);
    const input = { kind: 'ids' as const, ids: [0, 72, 101, 108, 108, 111], source: 'test' };
    let copied: Analyzer | undefined;
    try {
      copied = await Analyzer.open(folder, { device: 'cpu' });
      const report = await copied.analyze(input, { addBos: false });
      const warning = report.warnings.find((candidate) => candidate.code === 'weights-copied');
      assert.ok(warning, JSON.stringify(report.warnings));
      const megabytes = (statSync(join(folder, 'model.safetensors')).size / 2 ** 20).toFixed(1);
      assert.match(
        warning.message,
        new RegExp(
          `^the checkpoint's weights \\(${megabytes} MB\\) were copied into ${process.env.SINK_LENS_CACHE}/hf/\\w+, since it is on another filesystem than ${folder} and a hard link is impossible; the copy stays in the cache: set SINK_LENS_CACHE to a folder on the checkpoint's filesystem to avoid it$`,
        ),
      );
      if (saved === undefined) delete process.env.SINK_LENS_CACHE;
      else process.env.SINK_LENS_CACHE = saved;
      const linked = await Analyzer.open(folder, { device: 'cpu' });
      try {
        const reference = await linked.analyze(input, { addBos: false });
        assert.ok(!reference.warnings.some((candidate) => candidate.code === 'weights-copied'));
        assertClose(report.residual.norms, reference.residual.norms, 'the same numbers from the copy', 0, 0);
      } finally {
        await linked.dispose();
      }
    } finally {
      await copied?.dispose();
      if (saved === undefined) delete process.env.SINK_LENS_CACHE;
      else process.env.SINK_LENS_CACHE = saved;
    }
  });
});
