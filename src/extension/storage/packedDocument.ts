/**
 * A JSON document with its long number arrays stored as binary: a stored report is mostly arrays
 * of numbers ([layer][head][T] attention to position 0, norms by depth and position), which take
 * ~19 bytes each as JSON text and 4 as float32. The file is a JSON skeleton in which each such
 * array is a reference into one binary block that follows it. Lossless: an array is stored as
 * float32 only when every value is one (the engine's values come from float32 tensors), otherwise
 * as float64; null (a position the graph does not compute) is stored as NaN and read back as null,
 * as JSON would have written a NaN. Typed arrays are stored the same way and read back as arrays.
 * Plain Node (no `vscode`): unit-tested.
 */

const MAGIC = Buffer.from('SLPACK1\n', 'latin1');
/** Shorter arrays stay in the skeleton: a reference costs about as much as a few numbers. */
const MIN_PACKED = 16;
const REFERENCE = '$packed';

interface PackedReference {
  [REFERENCE]: 'f32' | 'f64';
  at: number;
  n: number;
}

export function isPacked(content: Buffer): boolean {
  return content.length >= MAGIC.length && content.subarray(0, MAGIC.length).equals(MAGIC);
}

export function packDocument(document: unknown): Buffer {
  const chunks: Buffer[] = [];
  let length = 0;
  const append = (kind: 'f32' | 'f64', values: ArrayLike<number | null>): PackedReference => {
    const typed = kind === 'f32' ? new Float32Array(values.length) : new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) typed[i] = values[i] ?? NaN;
    const bytes = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
    const reference = { [REFERENCE]: kind, at: length, n: values.length };
    chunks.push(bytes);
    // Every chunk starts on an 8-byte boundary, so it is read back as a view without a copy.
    const padding = (8 - (bytes.length % 8)) % 8;
    if (padding) chunks.push(Buffer.alloc(padding));
    length += bytes.length + padding;
    return reference;
  };
  const skeleton = JSON.stringify(document, function (this: unknown, key: string, value: unknown) {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const values = value as unknown as ArrayLike<number>;
      return values.length >= MIN_PACKED ? append(value instanceof Float32Array || allFloat32(values) ? 'f32' : 'f64', values) : Array.from(values);
    }
    if (Array.isArray(value) && value.length >= MIN_PACKED && numbersOrNulls(value)) return append(allFloat32(value) ? 'f32' : 'f64', value);
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, REFERENCE)) throw new Error(`a document field may not be named ${REFERENCE}`);
    return value;
  });
  const header = Buffer.from(skeleton ?? 'null', 'utf8');
  const headerLength = Buffer.alloc(4);
  headerLength.writeUInt32LE(header.length);
  const prefix = MAGIC.length + 4 + header.length;
  const padding = Buffer.alloc((8 - (prefix % 8)) % 8);
  return Buffer.concat([MAGIC, headerLength, header, padding, ...chunks]);
}

export function unpackDocument(content: Buffer): unknown {
  if (!isPacked(content)) throw new Error('not a packed document');
  const headerLength = content.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  const skeleton = content.toString('utf8', headerStart, headerStart + headerLength);
  const prefix = headerStart + headerLength;
  const blobStart = prefix + ((8 - (prefix % 8)) % 8);
  // One aligned copy of the binary block; every array is read from it.
  const blob = new Uint8Array(content.length - blobStart);
  blob.set(content.subarray(blobStart));
  return JSON.parse(skeleton, (_key, value: unknown) => {
    if (!isReference(value)) return value;
    const { at, n } = value;
    const bytes = n * (value[REFERENCE] === 'f32' ? 4 : 8);
    if (at < 0 || at % 8 !== 0 || at + bytes > blob.length) throw new Error('a packed array lies outside the document');
    const typed = value[REFERENCE] === 'f32' ? new Float32Array(blob.buffer, at, n) : new Float64Array(blob.buffer, at, n);
    return Array.from(typed, (number) => (Number.isNaN(number) ? null : number));
  });
}

function numbersOrNulls(values: unknown[]): values is (number | null)[] {
  let numbers = 0;
  for (const value of values) {
    if (typeof value === 'number') numbers++;
    else if (value !== null) return false;
  }
  return numbers > 0;
}

function allFloat32(values: ArrayLike<number | null>): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value !== null && !Number.isNaN(value) && Math.fround(value) !== value) return false;
  }
  return true;
}

function isReference(value: unknown): value is PackedReference {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const kind = (value as Record<string, unknown>)[REFERENCE];
  const { at, n } = value as Record<string, unknown>;
  return (kind === 'f32' || kind === 'f64') && Number.isInteger(at) && Number.isInteger(n) && (n as number) >= 0;
}
