/**
 * The exporter shapes from the wild (tools/torch_ref/wild.py) as the tests expect them: each is
 * gpt2-random's or llama-gqa-random's model, so reference.py on the fixture folder computes its
 * base model, which every variant equals for a fresh prompt (at the positions it computes).
 */
import type { Reference } from './torchReference';
import type { WildFixture } from './fixtures';

export interface WildSpec {
  name: WildFixture;
  layers: number;
  heads: number;
  /** Ids to analyse: 13 tokens, or exactly the fixed length. */
  ids: number[];
  /** Residual depth indices that exist only at the last position (the last block sliced to the last token). */
  lastOnlyDepths: number[];
  /** Layers whose MLP runs only at the last position. */
  lastOnlyMlpLayers: number[];
}

const IDS = [0, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];
const FIXED_IDS = [0, 84, 104, 101, 32, 102, 105, 120, 101, 100, 32, 111, 110, 101, 115, 46];
const gpt2 = { layers: 3, heads: 4, ids: IDS, lastOnlyDepths: [], lastOnlyMlpLayers: [] };
const llama = { layers: 4, heads: 8, ids: IDS, lastOnlyDepths: [], lastOnlyMlpLayers: [] };

export const WILD_SPECS: WildSpec[] = [
  { name: 'gpt2-conv1d', ...gpt2 },
  { name: 'gpt2-sliced-last', ...gpt2, lastOnlyDepths: [5, 6], lastOnlyMlpLayers: [2] },
  { name: 'gpt2-mask-additive', ...gpt2 },
  { name: 'gpt2-mask-bool', ...gpt2 },
  { name: 'gpt2-mask-keep', ...gpt2 },
  { name: 'gpt2-fixed-length', ...gpt2, ids: FIXED_IDS },
  { name: 'llama-mask-only', ...llama },
  { name: 'llama-positions-only', ...llama },
];

/**
 * The reference with the positions the variant does not compute set to null (norms, MLP norms),
 * and P0 quantities null where P0 is absent: what the report must hold.
 */
export function expectedAt(spec: WildSpec, reference: Reference) {
  const T = spec.ids.length;
  const lastOnly = (row: number[]) => row.map((value, t) => (t === T - 1 ? value : null));
  return {
    norms: reference.norms.map((row, d) => (spec.lastOnlyDepths.includes(d) ? lastOnly(row) : row)),
    mlpNorms: reference.mlpNorms.map((row, l) => (row && spec.lastOnlyMlpLayers.includes(l) ? lastOnly(row) : row)),
    p0Present: reference.norms.map((_, d) => !spec.lastOnlyDepths.includes(d)),
  };
}

/** Element-wise |a - e| <= rtol |e| + atol where e is a number, and a === null where e is null. */
export function closeOrAbsent(actual: (number | null)[], expected: (number | null)[], what: string, rtol = 1e-4, atol = 1e-6): string | null {
  if (actual.length !== expected.length) return `${what}: ${actual.length} values, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === null ? a !== null : a === null || Math.abs(a - e) > rtol * Math.abs(e) + atol) return `${what}: value ${i} is ${a}, expected ${e}`;
  }
  return null;
}
