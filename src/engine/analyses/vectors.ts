/** Vector arithmetic shared by the multi-prompt analyses. */

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return dot / Math.sqrt(aa * bb);
}

/** Mean cosine over all unordered pairs; null below two vectors. */
export function meanPairwiseCosine(vectors: ArrayLike<number>[]): number | null {
  if (vectors.length < 2) return null;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i + 1; j < vectors.length; j++) {
      sum += cosine(vectors[i], vectors[j]);
      pairs++;
    }
  }
  return sum / pairs;
}

export function meanVector(vectors: ArrayLike<number>[]): Float64Array {
  const mean = new Float64Array(vectors[0].length);
  for (const vector of vectors) for (let i = 0; i < mean.length; i++) mean[i] += vector[i] / vectors.length;
  return mean;
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Mean of the non-null values; null when there are none. */
export function meanOrNull(values: (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : mean(present);
}

/** The `count` dims of largest magnitude, with their signed values. */
export function topDims(vector: ArrayLike<number>, count: number): { dim: number; value: number }[] {
  const dims = Array.from({ length: vector.length }, (_, i) => i).sort((a, b) => Math.abs(vector[b]) - Math.abs(vector[a]));
  return dims.slice(0, count).map((dim) => ({ dim, value: vector[dim] }));
}

/** Position p's vector from a [positions * width] row-major block. */
export function positionVector(block: Float32Array, position: number, width: number): Float32Array {
  return block.subarray(position * width, (position + 1) * width);
}
