/**
 * Open analyzers kept for reuse: a session is created once per model file and device, and the
 * least recently used one is released when more than `capacity` are open. Reopening sessions costs
 * time and, measured here, slowly fragments the native heap (RSS crept up about 0.2 MB per reopen
 * under glibc's per-thread arenas, with no leak behind it); reuse keeps memory flat.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Analyzer } from './analyzer';
import { parseHubId, resolveHubSnapshot } from './hf/hubCache';
import type { Device } from '../protocol/report';

export class AnalyzerPool {
  private readonly open = new Map<string, Promise<Analyzer>>();

  constructor(private readonly capacity = 2) {}

  async get(modelPath: string, device: Device): Promise<Analyzer> {
    const key = this.keyOf(modelPath, device);
    let analyzer = this.open.get(key);
    if (analyzer) {
      this.open.delete(key); // re-insert: most recently used last
    } else {
      analyzer = Analyzer.open(modelPath, { device });
      analyzer.catch(() => this.open.delete(key));
    }
    this.open.set(key, analyzer);
    while (this.open.size > this.capacity) {
      const [oldest, pending] = this.open.entries().next().value as [string, Promise<Analyzer>];
      this.open.delete(oldest);
      pending.then(
        (evicted) => evicted.dispose(),
        () => undefined,
      );
    }
    return analyzer;
  }

  get size(): number {
    return this.open.size;
  }

  async disposeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      all.map((pending) =>
        pending.then(
          (analyzer) => analyzer.dispose(),
          () => undefined,
        ),
      ),
    );
  }

  /** A changed file (same path, new mtime), or a hub id whose revision now names another commit, gets a new session. */
  private keyOf(modelPath: string, device: Device): string {
    const absolute = resolve(modelPath);
    let stamp = '';
    try {
      stamp = String(statSync(absolute).mtimeMs);
    } catch {
      stamp = hubCommit(modelPath); // a missing path fails in Analyzer.open with a clear error
    }
    return `${absolute}\0${stamp}\0${device}`;
  }
}

function hubCommit(modelPath: string): string {
  const id = parseHubId(modelPath);
  try {
    return id ? resolveHubSnapshot(id).commit : '';
  } catch {
    return '';
  }
}
