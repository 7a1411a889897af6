/**
 * Checkpoint traces kept in the workspace's storage folder, like runs (src/runStore.ts): an index
 * (traces/index.json) and one sink-lens/trace@1 file per trace, each written to a temporary file
 * and renamed into place. A trace of the same folder with the same prompts replaces the older one.
 * Plain Node (no `vscode`).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TraceDocument } from './engine/trace/traceDocument';

export interface TraceRecord {
  id: string;
  folder: string;
  /** The folder's last two parts, for lists and titles. */
  name: string;
  checkpoints: number;
  prompts: number;
  createdAt: string;
  executionProvider: string;
}

const MAX_TRACES = 20;

export function traceIdFor(folder: string, prompts: string[]): string {
  return createHash('sha256').update(folder).update('\0').update(JSON.stringify(prompts)).digest('hex').slice(0, 16);
}

export function traceName(folder: string): string {
  return folder.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
}

export class TraceStore {
  private index: TraceRecord[] | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly folder: string;

  constructor(storageFolder: string) {
    this.folder = join(storageFolder, 'traces');
  }

  async list(): Promise<TraceRecord[]> {
    if (!this.index) {
      try {
        const parsed = JSON.parse(await readFile(join(this.folder, 'index.json'), 'utf8')) as unknown;
        this.index = Array.isArray(parsed) ? (parsed as TraceRecord[]) : [];
      } catch {
        this.index = [];
      }
    }
    return [...this.index];
  }

  async get(id: string): Promise<TraceRecord | undefined> {
    return (await this.list()).find((record) => record.id === id);
  }

  async load(id: string): Promise<TraceDocument | undefined> {
    if (!/^[0-9a-f]+$/.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.folder, `${id}.json`), 'utf8')) as TraceDocument;
    } catch {
      return undefined;
    }
  }

  async add(record: TraceRecord, trace: TraceDocument): Promise<void> {
    await this.serial(async () => {
      await mkdir(this.folder, { recursive: true });
      await this.atomicWrite(join(this.folder, `${record.id}.json`), JSON.stringify(trace));
      const index = [record, ...(await this.list()).filter((other) => other.id !== record.id)];
      for (const dropped of index.splice(MAX_TRACES)) await rm(join(this.folder, `${dropped.id}.json`), { force: true });
      this.index = index;
      await this.atomicWrite(join(this.folder, 'index.json'), JSON.stringify(index, null, 1));
    });
  }

  async delete(id: string): Promise<void> {
    await this.serial(async () => {
      this.index = (await this.list()).filter((record) => record.id !== id);
      await mkdir(this.folder, { recursive: true });
      await this.atomicWrite(join(this.folder, 'index.json'), JSON.stringify(this.index, null, 1));
      await rm(join(this.folder, `${id}.json`), { force: true });
    });
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const next = this.writing.then(work, work);
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async atomicWrite(path: string, content: string): Promise<void> {
    await writeFile(`${path}.tmp`, content);
    await rename(`${path}.tmp`, path);
  }
}
