/**
 * The T x T attention map as RGBA pixels: one pass over the data, a 256-colour lookup, no canvas
 * calls per cell. Pure (no DOM), so it is unit-tested in Node.
 */

/**
 * Fills `pixels` (T*T*4 bytes). Values are scaled by `max` (so a map whose largest weight is 0.2 still
 * uses the whole ramp); cells above the diagonal (future keys, masked) get `masked`.
 */
export function paintAttention(matrix: Float32Array, tokens: number, lut: Uint8ClampedArray, masked: [number, number, number], pixels: Uint8ClampedArray, max = 1): void {
  const scale = max > 0 ? 255 / max : 0;
  for (let q = 0; q < tokens; q++) {
    const row = q * tokens;
    for (let k = 0; k < tokens; k++) {
      const p = (row + k) * 4;
      if (k > q) {
        pixels[p] = masked[0];
        pixels[p + 1] = masked[1];
        pixels[p + 2] = masked[2];
        pixels[p + 3] = 255;
        continue;
      }
      const v = matrix[row + k] * scale;
      const index = (v <= 0 ? 0 : v >= 255 ? 255 : v | 0) * 4;
      pixels[p] = lut[index];
      pixels[p + 1] = lut[index + 1];
      pixels[p + 2] = lut[index + 2];
      pixels[p + 3] = 255;
    }
  }
}

/**
 * Shrinks a [T][T] map to [size][size] by taking the LARGEST value of each block, so that a
 * one-column sink (attention to key 0) stays visible when 2048 keys share 720 pixels; nearest-
 * neighbour scaling would drop it. Blocks that lie wholly above the diagonal come out as -1 (masked).
 */
export function maxPool(matrix: Float32Array, tokens: number, size: number): Float32Array {
  if (size >= tokens) return matrix;
  const pooled = new Float32Array(size * size).fill(-1);
  const columnBlock = new Int32Array(tokens);
  for (let k = 0; k < tokens; k++) columnBlock[k] = Math.floor((k * size) / tokens);
  for (let q = 0; q < tokens; q++) {
    const row = q * tokens;
    const outRow = Math.floor((q * size) / tokens) * size;
    for (let k = 0; k <= q; k++) {
      const value = matrix[row + k];
      const cell = outRow + columnBlock[k];
      if (value > pooled[cell]) pooled[cell] = value;
    }
  }
  return pooled;
}

/** Paints a pooled map (see maxPool): negative cells are masked. */
export function paintPooled(pooled: Float32Array, size: number, lut: Uint8ClampedArray, masked: [number, number, number], pixels: Uint8ClampedArray, max = 1): void {
  const scale = max > 0 ? 255 / max : 0;
  for (let i = 0; i < size * size; i++) {
    const p = i * 4;
    const v = pooled[i];
    if (v < 0) {
      pixels[p] = masked[0];
      pixels[p + 1] = masked[1];
      pixels[p + 2] = masked[2];
    } else {
      const index = Math.min(255, (v * scale) | 0) * 4;
      pixels[p] = lut[index];
      pixels[p + 1] = lut[index + 1];
      pixels[p + 2] = lut[index + 2];
    }
    pixels[p + 3] = 255;
  }
}

export function maxOf(values: Float32Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  return max;
}

/** The cell under a point of a square drawn at `size` CSS pixels. */
export function cellAt(x: number, y: number, size: number, tokens: number): { query: number; key: number } | null {
  if (x < 0 || y < 0 || x >= size || y >= size) return null;
  return { query: Math.min(tokens - 1, Math.floor((y / size) * tokens)), key: Math.min(tokens - 1, Math.floor((x / size) * tokens)) };
}
