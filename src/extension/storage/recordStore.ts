/**
 * A folder of JSON documents with an index of their records, newest first, shared by the run and
 * trace stores. Every write goes to a temporary file and is renamed into place, and writes run one
 * at a time, so a crash or a reload in the middle never leaves a half-written index. Plain Node
 * (no `vscode`): unit-tested.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecordStoreLayout<R> {
  folder: string;
  indexFile: string;
  /** The document file's name for an id; ids from outside are checked by `validId` first. */
  documentFile: (id: string) => string;
  validId: RegExp;
  maxRecords: number;
  /** Index file contents to records (anything unreadable is an empty index) and back. */
  parseIndex: (parsed: unknown) => R[];
  formatIndex: (records: R[]) => unknown;
}

export class RecordStore<R extends { id: string }, D> {
  private index: R[] | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly layout: RecordStoreLayout<R>) {}

  async list(): Promise<R[]> {
    if (!this.index) {
      try {
        this.index = this.layout.parseIndex(JSON.parse(await readFile(join(this.layout.folder, this.layout.indexFile), 'utf8')));
      } catch {
        this.index = [];
      }
    }
    return [...this.index];
  }

  async get(id: string): Promise<R | undefined> {
    return (await this.list()).find((record) => record.id === id);
  }

  async load(id: string): Promise<D | undefined> {
    if (!this.layout.validId.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.documentPath(id), 'utf8')) as D;
    } catch {
      return undefined;
    }
  }

  /** Stores the document and puts its record first, replacing one with the same id. */
  async add(record: R, document: D): Promise<void> {
    await this.serialize(async () => {
      await mkdir(this.layout.folder, { recursive: true });
      await writeAtomically(this.documentPath(record.id), JSON.stringify(document));
      const records = [record, ...(await this.list()).filter((other) => other.id !== record.id)];
      const dropped = records.splice(this.layout.maxRecords);
      await this.saveIndex(records);
      await Promise.all(dropped.map((other) => rm(this.documentPath(other.id), { force: true })));
    });
  }

  async delete(id: string): Promise<void> {
    await this.serialize(async () => {
      await this.saveIndex((await this.list()).filter((record) => record.id !== id));
      await rm(this.documentPath(id), { force: true });
    });
  }

  private documentPath(id: string): string {
    if (!this.layout.validId.test(id)) throw new Error(`invalid id: ${id}`);
    return join(this.layout.folder, this.layout.documentFile(id));
  }

  private async saveIndex(records: R[]): Promise<void> {
    this.index = records;
    await mkdir(this.layout.folder, { recursive: true });
    await writeAtomically(join(this.layout.folder, this.layout.indexFile), JSON.stringify(this.layout.formatIndex(records), null, 1));
  }

  private serialize(task: () => Promise<void>): Promise<void> {
    const next = this.writing.then(task, task);
    this.writing = next.catch(() => undefined);
    return next;
  }
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content, 'utf8');
  await rename(temporary, path);
}
