import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectHead } from '../../src/protocol/runReport';
import { cellAt, maxOf, maxPool, paintAttention, paintPooled } from '../../webview/report/heatmapPixels';

describe('heat map pixels', () => {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) lut.set([i, 0, 255 - i, 255], i * 4);

  it('selectHead returns one head as a view, or the mean of heads', () => {
    const data = Float32Array.of(1, 0, 0.5, 0.5, /* head 1 */ 1, 0, 0, 1);
    assert.deepEqual(Array.from(selectHead(data, 2, 2, 1)), [1, 0, 0, 1]);
    assert.deepEqual(Array.from(selectHead(data, 2, 2, -1)), [1, 0, 0.25, 0.75]);
  });

  it('paints the causal triangle through the lookup and masks future keys', () => {
    const matrix = Float32Array.of(1, 0, 0.5, 0.5);
    const pixels = new Uint8ClampedArray(2 * 2 * 4);
    paintAttention(matrix, 2, lut, [9, 9, 9], pixels, 1);
    assert.deepEqual(Array.from(pixels.subarray(0, 4)), [255, 0, 0, 255]); // q0 k0 = 1
    assert.deepEqual(Array.from(pixels.subarray(4, 8)), [9, 9, 9, 255]); // q0 k1: masked
    assert.deepEqual(Array.from(pixels.subarray(8, 12)), [127, 0, 128, 255]); // q1 k0 = 0.5
  });

  it('handles a 2048 x 2048 map in one pass and scales by its maximum', () => {
    const tokens = 2048;
    const matrix = new Float32Array(tokens * tokens);
    for (let q = 0; q < tokens; q++) matrix[q * tokens] = 0.2; // everything on key 0
    const pixels = new Uint8ClampedArray(tokens * tokens * 4);
    paintAttention(matrix, tokens, lut, [0, 0, 0], pixels, maxOf(matrix));
    const last = (tokens - 1) * tokens * 4;
    assert.equal(pixels[last], 255, 'the largest value uses the top of the ramp');
    assert.equal(pixels[last + 4], 0, 'zeros use the bottom');
  });

  it('maxPool keeps a one-column sink visible and masks blocks wholly above the diagonal', () => {
    const tokens = 8;
    const matrix = new Float32Array(tokens * tokens);
    for (let q = 0; q < tokens; q++) {
      matrix[q * tokens] = 0.9; // key 0
      matrix[q * tokens + q] += 0.1;
    }
    const pooled = maxPool(matrix, tokens, 2); // 4 x 4 blocks
    assert.deepEqual(
      Array.from(pooled).map((v) => +v.toFixed(2)),
      [1, -1, 0.9, 0.1],
    );
    const pixels = new Uint8ClampedArray(2 * 2 * 4);
    paintPooled(pooled, 2, lut, [9, 9, 9], pixels, 1);
    assert.deepEqual(Array.from(pixels.subarray(4, 8)), [9, 9, 9, 255]);
    assert.equal(maxPool(matrix, tokens, 8), matrix, 'no pooling at full size');
  });

  it('cellAt turns a point into query/key indices', () => {
    assert.deepEqual(cellAt(0, 0, 100, 10), { query: 0, key: 0 });
    assert.deepEqual(cellAt(99.9, 55, 100, 10), { query: 5, key: 9 });
    assert.equal(cellAt(100, 5, 100, 10), null);
  });
});
