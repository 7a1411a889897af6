import assert from 'node:assert/strict';

/**
 * Asserts |actual - expected| <= rtol * |expected| + atol elementwise over nested arrays. The small
 * absolute term covers values that are exactly zero in one implementation (masked attention).
 */
export function assertClose(actual: unknown, expected: unknown, what: string, rtol = 1e-4, atol = 1e-6): void {
  const a = flatten(actual);
  const e = flatten(expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} values, reference has ${e.length}`);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i] - e[i]) - (rtol * Math.abs(e[i]) + atol);
    if (excess > worst) {
      worst = excess;
      worstIndex = i;
    }
  }
  assert.ok(worstIndex === -1, `${what}: value ${worstIndex} is ${a[worstIndex]}, reference ${e[worstIndex]} (rtol ${rtol})`);
}

function flatten(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.flatMap(flatten);
  throw new Error(`not numeric: ${JSON.stringify(value)?.slice(0, 80)}`);
}
