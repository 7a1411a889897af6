/**
 * Random access to a model's bytes without holding them: a multi-gigabyte model is scanned through
 * a small window, and only graph structure (nodes, names, shapes) is ever copied into memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  readonly length: number;
  /** Bytes [start, end): a view for memory sources, a copy for files. */
  read(start: number, end: number): Uint8Array;
  close(): void;
}

export class MemorySource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}

  get length(): number {
    return this.bytes.length;
  }

  read(start: number, end: number): Uint8Array {
    return this.bytes.subarray(start, end);
  }

  close(): void {}
}

const WINDOW = 1 << 16;

export class FileSource implements ByteSource {
  readonly length: number;
  private readonly fd: number;
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.length = fstatSync(this.fd).size;
  }

  read(start: number, end: number): Uint8Array {
    end = Math.min(end, this.length);
    if (start >= this.windowStart && end <= this.windowStart + this.window.length) {
      return this.window.slice(start - this.windowStart, end - this.windowStart);
    }
    if (end - start > WINDOW / 2) return this.readExact(start, end);
    this.windowStart = start;
    this.window = this.readExact(start, Math.min(start + WINDOW, this.length));
    return this.window.slice(0, end - start);
  }

  close(): void {
    closeSync(this.fd);
  }

  private readExact(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    let done = 0;
    while (done < out.length) {
      const count = readSync(this.fd, out, done, out.length - done, start + done);
      if (count === 0) break;
      done += count;
    }
    return done === out.length ? out : out.subarray(0, done);
  }
}
