/**
 * Runs persisted in the workspace's storage folder: an index (runs.json) and one report file per
 * run. Every write goes to a temporary file first and is renamed into place, so a crash or a
 * reload in the middle never leaves a half-written index. Plain Node (no `vscode`): unit-tested.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SinkReport } from './engine/report';
import type { WorkerPrompt, WorkerRunOptions } from './shared/protocol';

export interface RunRecord {
  id: string;
  modelPath: string;
  /** Short name for lists: the model's folder or file name. */
  modelName: string;
  createdAt: string;
  executionProvider: 'cuda' | 'cpu';
  promptPreview: string;
  prompt: WorkerPrompt;
  options: WorkerRunOptions;
  /** Where the prompt came from, to re-run and to decorate again. */
  documentUri: string | null;
  /** [layer][head], for the tree without loading the report. */
  sinkScore: number[][];
  sinkRate: number;
  epsilon: number;
  uniformBaseline: number;
}

/** One run's file: the report and, per layer, the attention each token receives (null if not computed). */
export interface StoredRun {
  report: SinkReport;
  received: (number[] | null)[];
  /** Document offsets of the prompt's units, to decorate it again. */
  offsets: number[] | null;
  /** The document text those offsets covered, to tell whether they still fit the document. */
  sourceText?: string | null;
}

const INDEX_FILE = 'runs.json';
const MAX_RUNS = 50;

export class RunStore {
  private index: RunRecord[] | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly folder: string) {}

  async list(): Promise<RunRecord[]> {
    if (!this.index) {
      try {
        const parsed = JSON.parse(await readFile(join(this.folder, INDEX_FILE), 'utf8')) as { runs?: RunRecord[] };
        this.index = Array.isArray(parsed.runs) ? parsed.runs : [];
      } catch {
        this.index = [];
      }
    }
    return [...this.index];
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return (await this.list()).find((run) => run.id === id);
  }

  async load(id: string): Promise<StoredRun | undefined> {
    try {
      return JSON.parse(await readFile(this.reportPath(id), 'utf8')) as StoredRun;
    } catch {
      return undefined;
    }
  }

  async add(record: RunRecord, run: StoredRun): Promise<void> {
    await this.serialize(async () => {
      await mkdir(this.folder, { recursive: true });
      await writeAtomically(this.reportPath(record.id), JSON.stringify(run));
      const runs = [record, ...(await this.list()).filter((run) => run.id !== record.id)];
      const dropped = runs.splice(MAX_RUNS);
      await this.saveIndex(runs);
      await Promise.all(dropped.map((run) => rm(this.reportPath(run.id), { force: true })));
    });
  }

  async delete(id: string): Promise<void> {
    await this.serialize(async () => {
      await this.saveIndex((await this.list()).filter((run) => run.id !== id));
      await rm(this.reportPath(id), { force: true });
    });
  }

  private reportPath(id: string): string {
    if (!/^[\w-]+$/.test(id)) throw new Error(`invalid run id: ${id}`);
    return join(this.folder, `run-${id}.json`);
  }

  private async saveIndex(runs: RunRecord[]): Promise<void> {
    this.index = runs;
    await mkdir(this.folder, { recursive: true });
    await writeAtomically(join(this.folder, INDEX_FILE), JSON.stringify({ version: 1, runs }, null, 1));
  }

  /** One write at a time, in order. */
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
