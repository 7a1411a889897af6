/**
 * Protocol Buffers wire format, just enough to read an ONNX model lazily and write new messages.
 * We do not use a generated schema: a schema drops every field it does not know (onnx-proto is an
 * IR v8 schema), while slicing the original bytes keeps weights and newer fields exactly as they
 * were, and never copies a tensor we do not need to look at.
 */

import type { ByteSource } from './byteSource';

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

export interface WireField {
  field: number;
  wireType: WireType;
  /** Varint value (exact below 2^53; use `bigValue` for int64 fields that may be negative). */
  value: number;
  /** Byte range of the whole field (tag included), for copying it unchanged. */
  start: number;
  end: number;
  /** Payload range for length-delimited fields. */
  dataStart: number;
  dataEnd: number;
}

export class WireFormatError extends Error {}

export class WireReader {
  constructor(
    readonly bytes: Uint8Array,
    private position = 0,
    private readonly limit = bytes.length,
  ) {}

  *fields(): Generator<WireField> {
    while (this.position < this.limit) {
      const start = this.position;
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wireType = (tag & 7) as WireType;
      if (field === 0) throw new WireFormatError(`field number 0 at byte ${start}`);
      let value = 0;
      let dataStart = this.position;
      switch (wireType) {
        case WireType.Varint:
          value = this.varint();
          break;
        case WireType.Fixed64:
          this.skip(8);
          break;
        case WireType.Fixed32:
          this.skip(4);
          break;
        case WireType.LengthDelimited: {
          const length = this.varint();
          dataStart = this.position;
          this.skip(length);
          break;
        }
        default:
          throw new WireFormatError(`unknown wire type ${wireType} at byte ${start}`);
      }
      yield { field, wireType, value, start, end: this.position, dataStart, dataEnd: this.position };
    }
  }

  private varint(): number {
    if (this.position >= this.limit) throw new WireFormatError('truncated varint');
    const header = new HeaderReader(this.bytes.subarray(this.position, Math.min(this.position + 10, this.limit)));
    const value = header.varint();
    this.position += header.offset;
    return value;
  }

  private skip(count: number): void {
    if (this.position + count > this.limit) throw new WireFormatError('message ends inside a field');
    this.position += count;
  }
}

export function fieldsOf(bytes: Uint8Array, start = 0, end = bytes.length): WireField[] {
  return [...new WireReader(bytes, start, end).fields()];
}

/**
 * Like `fieldsOf`, over a ByteSource: reads only each field's tag and length, so payloads (weights)
 * are skipped without being read.
 */
export function* scanFields(source: ByteSource, start: number, end: number): Generator<WireField> {
  let position = start;
  while (position < end) {
    const header = source.read(position, Math.min(position + 20, end));
    const reader = new HeaderReader(header);
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = (tag & 7) as WireType;
    if (field === 0) throw new WireFormatError(`field number 0 at byte ${position}`);
    let value = 0;
    let length: number;
    switch (wireType) {
      case WireType.Varint:
        value = reader.varint();
        length = 0;
        break;
      case WireType.Fixed64:
        length = 8;
        break;
      case WireType.Fixed32:
        length = 4;
        break;
      case WireType.LengthDelimited:
        length = reader.varint();
        break;
      default:
        throw new WireFormatError(`unknown wire type ${wireType} at byte ${position}`);
    }
    const dataStart = position + reader.offset;
    const dataEnd = dataStart + length;
    if (dataEnd > end) throw new WireFormatError('message ends inside a field (the file may be truncated)');
    yield { field, wireType, value, start: position, end: dataEnd, dataStart, dataEnd };
    position = dataEnd;
  }
}

class HeaderReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.bytes.length) throw new WireFormatError('truncated varint');
      const byte = this.bytes[this.offset++];
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }
}

/** Reads a varint-encoded int64 as a signed BigInt (two's complement over 64 bits). */
export function readSignedVarint(bytes: Uint8Array, field: WireField): bigint {
  let result = 0n;
  let shift = 0n;
  let position = field.start;
  // Skip the tag.
  while (bytes[position] >= 0x80) position++;
  position++;
  for (;;) {
    const byte = bytes[position++];
    result |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) break;
    shift += 7n;
  }
  return BigInt.asIntN(64, result);
}

/** Decodes packed varints (repeated int64 written as one length-delimited field). */
export function readPackedVarints(bytes: Uint8Array, start: number, end: number): bigint[] {
  const values: bigint[] = [];
  let position = start;
  while (position < end) {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (position >= end) throw new WireFormatError('truncated packed varint');
      const byte = bytes[position++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) break;
      shift += 7n;
    }
    values.push(BigInt.asIntN(64, value));
  }
  return values;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export function readString(bytes: Uint8Array, field: WireField): string {
  return utf8.decode(bytes.subarray(field.dataStart, field.dataEnd));
}

/** Accumulates an encoded message. Chunks are kept as views and joined once at the end. */
export class WireWriter {
  private readonly chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  length = 0;

  varintField(field: number, value: number | bigint): this {
    this.tag(field, WireType.Varint);
    this.varint(value);
    return this;
  }

  floatField(field: number, value: number): this {
    this.tag(field, WireType.Fixed32);
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setFloat32(0, value, true);
    this.flushScratch();
    this.push(buffer);
    return this;
  }

  bytesField(field: number, payload: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited);
    this.varint(payload.length);
    this.flushScratch();
    this.push(payload);
    return this;
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  messageField(field: number, message: WireWriter): this {
    return this.bytesField(field, message.finish());
  }

  packedVarintField(field: number, values: readonly (number | bigint)[]): this {
    const inner = new WireWriter();
    for (const value of values) inner.varint(value);
    return this.bytesField(field, inner.finish());
  }

  /** Tag and length of a length-delimited field whose payload the caller appends as raw parts. */
  lengthDelimitedHeader(field: number, length: number): this {
    this.tag(field, WireType.LengthDelimited);
    this.varint(length);
    return this;
  }

  /** Copies bytes that are already a complete encoded field (tag included). */
  raw(bytes: Uint8Array): this {
    this.flushScratch();
    this.push(bytes);
    return this;
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private tag(field: number, wireType: WireType): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    let remaining = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(remaining & 0x7fn);
      remaining >>= 7n;
      if (remaining !== 0n) byte |= 0x80;
      this.scratch.push(byte);
    } while (remaining !== 0n);
  }

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.push(Uint8Array.from(this.scratch));
    this.scratch = [];
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}
