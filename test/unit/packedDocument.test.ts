import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPacked, packDocument, unpackDocument } from '../../src/extension/storage/packedDocument';

/** Values as the engine makes them: float32 numbers (exact in a float32 array). */
function float32Values(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.fround(Math.sin(seed + i) * 10));
}

describe('packedDocument', () => {
  it('gives back exactly the document JSON would: float32 and float64 arrays, nulls, short arrays, strings, nesting', () => {
    const document = {
      schema: 'sink-lens/report@1',
      tokens: [{ id: 1, text: '<s>', special: true }],
      attention: { firstTokenAttention: [[float32Values(100, 1), float32Values(100, 2)]], uniformBaseline: 0.4567891234 },
      // Doubles computed in JS (ratios): not float32, kept to the last bit.
      ratios: Array.from({ length: 40 }, (_, i) => 1 / (i + 3)),
      norms: [
        [...float32Values(20, 3), null, null],
        [null, ...float32Values(30, 4)],
      ],
      short: [1.1, 2.2, null],
      mixed: [...float32Values(20, 5), 'x'],
      empty: [],
      allNull: new Array(20).fill(null),
    };
    const packed = packDocument(document);
    assert.ok(isPacked(packed));
    assert.deepEqual(unpackDocument(packed), JSON.parse(JSON.stringify(document)));
  });

  it('stores typed arrays (NaN as null) and reads them back as arrays', () => {
    const norms = new Float32Array(float32Values(64, 6));
    norms[3] = NaN;
    const back = unpackDocument(packDocument({ norms, small: new Float32Array([1, 2]) })) as { norms: (number | null)[]; small: number[] };
    assert.deepEqual(
      back.norms,
      Array.from(norms, (value) => (Number.isNaN(value) ? null : value)),
    );
    assert.deepEqual(back.small, [1, 2]);
  });

  it('is a fraction of the JSON for a report-sized array (24 layers × 8 heads × 4096 positions)', () => {
    const attention = Array.from({ length: 24 }, (_, layer) => Array.from({ length: 8 }, (_, head) => float32Values(4096, layer * 8 + head)));
    const json = Buffer.byteLength(JSON.stringify({ attention }));
    const packed = packDocument({ attention }).length;
    assert.ok(packed < json / 3, `packed ${packed} bytes, JSON ${json}`);
    assert.ok(packed >= 24 * 8 * 4096 * 4, 'four bytes per float32 value');
  });

  it('refuses a document that is not one, and references that point outside it', () => {
    assert.throws(() => unpackDocument(Buffer.from('{"a":1}')), /not a packed document/);
    const packed = packDocument({ values: float32Values(32, 7) });
    assert.throws(() => unpackDocument(packed.subarray(0, packed.length - 8)), /outside the document/);
  });
});
