/**
 * Checks for what crosses a boundary (webview → host, worker → host, host → webview): small
 * combinators that either return the value as its type says or throw a ProtocolViolation naming
 * where it failed (`runReport.report.tokens[3].id: expected an integer`). A message's objects are copied
 * field by field, so nothing a check does not name rides along; a document's keep the fields it
 * may add (documentObject); arrays of numbers and typed arrays are checked in place (a report's
 * attention arrays are large, and numbers carry nothing else).
 */

/** The value as T, or a ProtocolViolation. `at` names the value for the message. */
export type Check<T> = (value: unknown, at: string) => T;

export class ProtocolViolation extends Error {
  constructor(
    readonly at: string,
    readonly expected: string,
  ) {
    super(`${at}: expected ${expected}`);
    this.name = 'ProtocolViolation';
  }
}

const fail = (at: string, expected: string): never => {
  throw new ProtocolViolation(at, expected);
};

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const unknown: Check<unknown> = (value) => value;

/** For a request that sends no progress: nothing passes. */
export const never: Check<never> = (_value, at) => fail(at, 'nothing (no such message)');

/** A reply that carries nothing. */
export const none: Check<null> = (value, at) => (value === null ? null : fail(at, 'null'));

export const boolean: Check<boolean> = (value, at) => (typeof value === 'boolean' ? value : fail(at, 'true or false'));

/** Any number, NaN included (structured clone keeps it; a JSON document has null instead). */
export const number: Check<number> = (value, at) => (typeof value === 'number' ? value : fail(at, 'a number'));

/** A safe integer in [min, max]. */
export function integer(min = 0, max = 1_000_000_000): Check<number> {
  return (value, at) => (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? (value as number) : fail(at, `an integer in [${min}, ${max}]`));
}

export function string(maxLength = 100_000_000): Check<string> {
  return (value, at) => (typeof value === 'string' && value.length <= maxLength ? value : fail(at, `a string of at most ${maxLength} characters`));
}

/** A string matching `pattern` (anchor it), at most maxLength long. */
export function matching(pattern: RegExp, maxLength: number, what: string): Check<string> {
  return (value, at) => (typeof value === 'string' && value.length <= maxLength && pattern.test(value) ? value : fail(at, what));
}

export function literal<T extends string | number | boolean>(...values: T[]): Check<T> {
  return (value, at) => (values.includes(value as T) ? (value as T) : fail(at, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`));
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, at) => (value === null ? null : check(value, at));
}

/** A field that may be absent (undefined); object() leaves it out then. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (value, at) => (value === undefined ? undefined : check(value, at));
}

export function array<T>(item: Check<T>, maxLength = 100_000_000): Check<T[]> {
  return (value, at) => {
    if (!Array.isArray(value) || value.length > maxLength) return fail(at, `an array of at most ${maxLength} entries`);
    const copy = new Array<T>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = item(value[i], `${at}[${i}]`);
    return copy;
  };
}

/** An array of numbers, checked in place. */
export const numbers: Check<number[]> = (value, at) => {
  if (!Array.isArray(value)) return fail(at, 'an array of numbers');
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'number') fail(`${at}[${i}]`, 'a number');
  return value as number[];
};

/** An array of numbers and nulls, checked in place. */
export const nullableNumbers: Check<(number | null)[]> = (value, at) => {
  if (!Array.isArray(value)) return fail(at, 'an array of numbers or nulls');
  for (let i = 0; i < value.length; i++) if (value[i] !== null && typeof value[i] !== 'number') fail(`${at}[${i}]`, 'a number or null');
  return value as (number | null)[];
};

export const float32Array: Check<Float32Array> = (value, at) => (value instanceof Float32Array ? value : fail(at, 'a Float32Array'));

type Shape = Record<string, Check<unknown>>;
export type Checked<S extends Shape> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never };

/** An object with exactly these fields (copied; others dropped; optional ones left out when absent). */
export function object<S extends Shape>(shape: S): Check<Checked<S>> {
  const keys = Object.keys(shape);
  return (value, at) => {
    if (!isObject(value)) return fail(at, 'an object');
    const copy: Record<string, unknown> = {};
    for (const key of keys) {
      const checked = shape[key](value[key], `${at}.${key}`);
      if (checked !== undefined) copy[key] = checked;
    }
    return copy as Checked<S>;
  };
}

/**
 * A document's object: these fields checked, and the fields it does not name kept as they are.
 * Documents may add fields (docs/REPORT.md): what the worker sends the host, or the host a webview,
 * must not lose them on the way. Messages from a webview use object(), which drops them.
 */
export function documentObject<S extends Shape>(shape: S): Check<Checked<S>> {
  const checked = object(shape);
  return (value, at) => ({ ...(value as object), ...checked(value, at) }) as Checked<S>;
}

/** Any plain object, kept as it is (fields a document may add and a reader passes through). */
export const plainObject: Check<Record<string, unknown>> = (value, at) => (isObject(value) ? value : fail(at, 'an object'));

/** One of several object shapes, told apart by the string field `key`. */
export function variant<K extends string, M extends Record<string, Check<object>>>(key: K, members: M): Check<ReturnType<M[keyof M]>> {
  return (value, at) => {
    const tag = isObject(value) ? value[key] : undefined;
    if (typeof tag !== 'string' || !Object.hasOwn(members, tag)) return fail(`${at}.${key}`, `one of ${Object.keys(members).join(', ')}`);
    return { ...members[tag](value, at), [key]: tag } as ReturnType<M[keyof M]>;
  };
}

/** Runs a check and answers undefined instead of throwing (for validators that keep that shape). */
export function attempt<T>(check: Check<T>, value: unknown, at: string): T | undefined {
  try {
    return check(value, at);
  } catch (error) {
    if (error instanceof ProtocolViolation) return undefined;
    throw error;
  }
}
