import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AnalyzerPool } from '../../src/engine/analyzerPool';
import { onnxExports, sharedModelsMissing, stories260k } from '../support/paths';

describe('AnalyzerPool', { skip: sharedModelsMissing() ?? false }, () => {
  it('reuses one session per model and device, and releases the least recently used', async () => {
    const pool = new AnalyzerPool(2);
    const gpt2 = join(onnxExports, 'tiny-random-gpt2-fp32', 'past.onnx');
    const qwen = join(onnxExports, 'tiny-qwen35-cuda');
    const stories = await pool.get(stories260k, 'cpu');
    assert.equal(await pool.get(stories260k, 'cpu'), stories, 'the same analyzer');
    await pool.get(gpt2, 'cpu');
    await pool.get(stories260k, 'cpu'); // stories is now the most recently used
    await pool.get(qwen, 'cpu'); // evicts gpt2
    assert.equal(pool.size, 2);
    assert.equal(await pool.get(stories260k, 'cpu'), stories, 'stories was kept');
    await pool.disposeAll();
    assert.equal(pool.size, 0);
    await assert.rejects(stories.analyze({ kind: 'ids', ids: [1, 2, 3], source: 'test' }, { addBos: false }), 'a disposed session cannot run');
  });

  it('a model that fails to open is not kept', async () => {
    const pool = new AnalyzerPool(2);
    await assert.rejects(pool.get('/nonexistent/model', 'cpu'), /model not found/);
    assert.equal(pool.size, 0);
  });
});
