/**
 * A folder of documents with an index of their records, newest first, shared by the run and trace
 * stores. Every write goes to a temporary file and is renamed into place, and writes run one at a
 * time, so a crash or a reload in the middle never leaves a half-written index. The number of
 * records is bounded, and optionally the documents' total size: the oldest go first, the newest
 * always stays. Plain Node (no `vscode`): unit-tested.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecordStoreLayout<R, D> {
  folder: string;
  indexFile: string;
  /** The document file's name for an id; ids from outside are checked by `validId` first. */
  documentFile: (id: string) => string;
  validId: RegExp;
  maxRecords: number;
  /** Index file contents to records (anything unreadable is an empty index) and back. */
  parseIndex: (parsed: unknown) => R[];
  formatIndex: (records: R[]) => unknown;
  /** How a document is written and read back; JSON text when absent. */
  format?: { encode(document: D): Buffer; decode(content: Buffer): D };
  /** Files an earlier version wrote for the id, as JSON: read when the current file is absent, removed with it. */
  formerDocumentFiles?: (id: string) => string[];
  /** The most bytes all documents may take together (read at each write); unbounded when absent. */
  maxBytes?: () => number;
}

export class RecordStore<R extends { id: string }, D> {
  private index: R[] | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly layout: RecordStoreLayout<R, D>) {}

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

  /** The document, or undefined when it is missing or unreadable. */
  async load(id: string): Promise<D | undefined> {
    if (!this.layout.validId.test(id)) return undefined;
    const { format } = this.layout;
    try {
      const content = await readFile(this.documentPath(id));
      return format ? format.decode(content) : (JSON.parse(content.toString('utf8')) as D);
    } catch {
      for (const former of this.formerPaths(id)) {
        try {
          return JSON.parse(await readFile(former, 'utf8')) as D;
        } catch {
          // Not there either: try the next name.
        }
      }
      return undefined;
    }
  }

  /**
   * Stores the document and puts its record first, replacing one with the same id; then drops the
   * oldest records beyond the store's bounds. Returns the ids dropped.
   */
  async add(record: R, document: D): Promise<string[]> {
    let dropped: string[] = [];
    await this.serialize(async () => {
      await mkdir(this.layout.folder, { recursive: true });
      const { format } = this.layout;
      await writeAtomically(this.documentPath(record.id), format ? format.encode(document) : JSON.stringify(document));
      await Promise.all(this.formerPaths(record.id).map((former) => rm(former, { force: true })));
      const records = [record, ...(await this.list()).filter((other) => other.id !== record.id)];
      dropped = await this.dropBeyondBounds(records);
    });
    return dropped;
  }

  /** Applies the bounds now (a lower limit was set). Returns the ids dropped. */
  async prune(): Promise<string[]> {
    let dropped: string[] = [];
    await this.serialize(async () => {
      dropped = await this.dropBeyondBounds(await this.list());
    });
    return dropped;
  }

  async delete(id: string): Promise<void> {
    await this.serialize(async () => {
      await this.saveIndex((await this.list()).filter((record) => record.id !== id));
      await this.removeDocument(id);
    });
  }

  /** Saves `records` (newest first) less the oldest beyond maxRecords and maxBytes, and removes their documents. */
  private async dropBeyondBounds(records: R[]): Promise<string[]> {
    const kept = records.slice(0, this.layout.maxRecords);
    const limit = this.layout.maxBytes?.();
    if (limit !== undefined) {
      const sizes = await Promise.all(kept.map((record) => this.documentBytes(record.id)));
      let total = sizes.reduce((sum, size) => sum + size, 0);
      while (kept.length > 1 && total > limit) {
        total -= sizes[kept.length - 1];
        kept.pop();
      }
    }
    const dropped = records.filter((record) => !kept.includes(record)).map((record) => record.id);
    await this.saveIndex(kept);
    await Promise.all(dropped.map((id) => this.removeDocument(id)));
    return dropped;
  }

  private async documentBytes(id: string): Promise<number> {
    for (const path of [this.documentPath(id), ...this.formerPaths(id)]) {
      try {
        return (await stat(path)).size;
      } catch {
        // Not there: try the next name.
      }
    }
    return 0;
  }

  private async removeDocument(id: string): Promise<void> {
    await Promise.all([this.documentPath(id), ...this.formerPaths(id)].map((path) => rm(path, { force: true })));
  }

  private documentPath(id: string): string {
    if (!this.layout.validId.test(id)) throw new Error(`invalid id: ${id}`);
    return join(this.layout.folder, this.layout.documentFile(id));
  }

  private formerPaths(id: string): string[] {
    if (!this.layout.validId.test(id)) throw new Error(`invalid id: ${id}`);
    return (this.layout.formerDocumentFiles?.(id) ?? []).map((name) => join(this.layout.folder, name));
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

async function writeAtomically(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
