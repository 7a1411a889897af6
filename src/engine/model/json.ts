import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SinkLensError } from '../errors';

/** Parses a JSON file that may be absent; a present but broken file is an error worth reporting. */
export function readJsonIfPresent(path: string | null): unknown {
  if (!path || !existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SinkLensError('model', 'bad-json', `${basename(path)} is not valid JSON (${reason}); fix or remove it`);
  }
}
