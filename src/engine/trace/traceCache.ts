/**
 * A trace's cache (`--cache DIR`): one file per checkpoint and measurement settings, named by the
 * checkpoint's content identity (checkpointIdentity.ts) and the settings, holding what was measured.
 * It is what an interrupted trace resumes from, and what the shards of a trace (`--shard I/N`, on
 * several machines) fill for the final assembly.
 *
 * Several processes may write one cache at once. Each entry is written under a temporary name
 * unique to its writer and renamed into place (cacheFiles.ts), so a reader sees a whole entry or
 * none; two writers of one entry wrote the same measurement, and the last rename wins. An entry
 * that cannot be read as a whole, checked measurement (truncated by a full disk, written by another
 * version) is reported and measured again, never used.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheWriteError, writeFileAtomically } from '../model/cacheFiles';
import { traceCheckpoint } from '../../protocol/documentChecks';
import type { TraceCheckpoint } from '../../protocol/trace';

const CACHE_SCHEMA = 'sink-lens/trace-cache@1';

/** A checkpoint's measurement, apart from where the checkpoint is (its step, path and source are the trace's). */
export type Measurement = Omit<TraceCheckpoint, 'step' | 'path' | 'source' | 'hash'>;

export type CacheLookup = { kind: 'hit'; measurement: Measurement } | { kind: 'missing' } | { kind: 'unreadable'; file: string; reason: string };

export class TraceCache {
  constructor(
    readonly folder: string,
    /** The measurement settings (prompts, epsilon, BOS, device) as one string: part of every key. */
    private readonly settings: string,
  ) {}

  fileFor(identity: string): string {
    return join(this.folder, `${createHash('sha256').update(identity).update(this.settings).digest('hex').slice(0, 32)}.json`);
  }

  read(identity: string): CacheLookup {
    const file = this.fileFor(identity);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      return { kind: 'unreadable', file, reason: (error as Error).message };
    }
    try {
      const entry = JSON.parse(text) as { schema?: unknown; identity?: unknown; settings?: unknown; measurement?: unknown };
      if (entry.schema !== CACHE_SCHEMA) return { kind: 'unreadable', file, reason: `not a ${CACHE_SCHEMA} entry` };
      if (entry.identity !== identity || entry.settings !== this.settings) return { kind: 'unreadable', file, reason: 'it is the entry of another checkpoint or settings' };
      // Checked as the trace checkpoint it becomes (the step, path and hash put in are the trace's, not the entry's).
      const { step, path, source, hash, ...measurement } = traceCheckpoint({ ...withNaN(entry.measurement), step: 0, path: '', hash: identity }, 'entry');
      return { kind: 'hit', measurement };
    } catch (error) {
      return { kind: 'unreadable', file, reason: (error as Error).message };
    }
  }

  write(identity: string, measurement: Measurement): void {
    try {
      writeFileAtomically(this.fileFor(identity), JSON.stringify({ schema: CACHE_SCHEMA, identity, settings: this.settings, measurement }));
    } catch (error) {
      throw cacheWriteError(error, "a checkpoint's trace result", this.folder);
    }
  }
}

/** JSON has no NaN: a loss that was NaN (a model without logits) comes back as null, and is NaN again. */
function withNaN(measurement: unknown): Record<string, unknown> {
  const value = { ...(measurement as Record<string, unknown>) };
  if (value.loss === null) value.loss = NaN;
  if (Array.isArray(value.prompts)) value.prompts = value.prompts.map((prompt: Record<string, unknown>) => (prompt?.loss === null ? { ...prompt, loss: NaN } : prompt));
  return value;
}
