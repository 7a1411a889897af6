/**
 * The header of a safetensors file, and nothing else: an 8-byte little-endian length N, then N
 * bytes of JSON naming each tensor's dtype, shape and byte range within the data that follows.
 * Weights are never read; the ONNX graph points at them (external data: offset 8 + N + begin).
 * Everything the header claims is checked against the file, so a truncated download or a
 * damaged header is one clear error here rather than garbage or a crash in onnxruntime.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { SinkLensError } from '../errors';

/** The element types a checkpoint may store; onnxruntime can compute with the first three. */
export const DTYPE_BYTES: Record<string, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  U16: 2,
  U32: 4,
  U64: 8,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

export interface StoredTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the first element in the file, and the byte length. */
  offset: number;
  length: number;
}

export interface SafetensorsHeader {
  path: string;
  fileSize: number;
  /** The raw JSON header, as stored (for the checkpoint's content identity). */
  headerText: string;
  tensors: Map<string, StoredTensor>;
}

/** The safetensors format limits headers to 100 MB; a larger length is a damaged file. */
const MAX_HEADER_BYTES = 100_000_000;

/** What a tensor entry is checked against; `remedy` says what the user can do about a damaged file. */
interface FileFacts {
  path: string;
  fileSize: number;
  dataStart: number;
  remedy: string;
}

const damaged = (file: Pick<FileFacts, 'path' | 'remedy'>, what: string) =>
  new SinkLensError('model', 'bad-safetensors', `${basename(file.path)} is not a readable safetensors file (${what}); the download may be incomplete: ${file.remedy}`);

export function readSafetensorsHeader(path: string, remedy = 'fetch it again'): SafetensorsHeader {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw damaged({ path, remedy }, `${fileSize} bytes, shorter than the 8-byte header length`);
    const lengthBytes = readExactly(fd, 0, 8);
    const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
      throw damaged({ path, remedy }, `its header claims ${headerLength} bytes but the file has ${fileSize}`);
    }
    const headerText = new TextDecoder().decode(readExactly(fd, 8, headerLength));
    let parsed: unknown;
    try {
      parsed = JSON.parse(headerText);
    } catch (error) {
      throw damaged({ path, remedy }, `its header is not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw damaged({ path, remedy }, 'its header is not a JSON object');
    const file: FileFacts = { path, fileSize, dataStart: 8 + headerLength, remedy };
    const tensors = new Map<string, StoredTensor>();
    for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      tensors.set(name, checkedEntry(file, name, entry));
    }
    return { path, fileSize, headerText, tensors };
  } finally {
    closeSync(fd);
  }
}

function checkedEntry(file: FileFacts, name: string, entry: unknown): StoredTensor {
  const { dataStart, fileSize } = file;
  const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
  if (typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every(isCount) || !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw damaged(file, `tensor '${name}' has no valid dtype, shape and data_offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || dataStart + end > fileSize) {
    throw new SinkLensError(
      'model',
      'truncated-safetensors',
      `${basename(file.path)} is truncated or damaged: tensor '${name}' lies at bytes ${dataStart + begin}-${dataStart + end} but the file has ${fileSize}; ${file.remedy}`,
    );
  }
  const elementBytes = DTYPE_BYTES[dtype];
  const expected = elementBytes === undefined ? null : (shape as number[]).reduce((product, size) => product * size, 1) * elementBytes;
  if (expected !== null && expected !== end - begin) {
    throw damaged(file, `tensor '${name}' is ${dtype} [${shape.join(', ')}], ${expected} bytes, but its data_offsets span ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], offset: dataStart + begin, length: end - begin };
}

function readExactly(fd: number, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const count = readSync(fd, bytes, done, length - done, position + done);
    if (count === 0) break;
    done += count;
  }
  return bytes;
}
