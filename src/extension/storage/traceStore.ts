/**
 * Checkpoint traces kept in the workspace's storage folder, like runs (runStore.ts). A trace of
 * the same folder with the same prompts has the same id, so it replaces the older one.
 * Plain Node (no `vscode`).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { TraceDocument } from '../../protocol/trace';
import { RecordStore } from './recordStore';

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

/** traces/index.json and one traces/<id>.json per trace. */
export class TraceStore extends RecordStore<TraceRecord, TraceDocument> {
  constructor(storageFolder: string) {
    super({
      folder: join(storageFolder, 'traces'),
      indexFile: 'index.json',
      documentFile: (id) => `${id}.json`,
      validId: /^[0-9a-f]+$/,
      maxRecords: MAX_TRACES,
      parseIndex: (parsed) => (Array.isArray(parsed) ? (parsed as TraceRecord[]) : []),
      formatIndex: (traces) => traces,
    });
  }
}
