/**
 * What the three webviews send that needs the same care: run ids (they name files in the run
 * store), export requests (a file name proposed in a save dialog, bounded data of the right kind)
 * and head lists (they go on to the worker). Only these shapes pass, copied field by field.
 */
import { array, integer, isObject, matching, nullable, object, ProtocolViolation, string, type Check } from '../checks';
import type { HeadRef } from '../analyses';

const MAX_NAME = 300;
/** A PNG of a tall chart as a data URL, or a CSV of a large report. */
const MAX_EXPORT_DATA = 64 * 1024 * 1024;
/** Every head of a very large model (e.g. 126 layers x 128 heads) fits; more is not a selection. */
const MAX_HEADS = 16_384;

export const index = integer(0, 999_999_999);
export const runId = matching(/^[\w.:-]+$/, 200, 'a run id');

/** At least `min` { layer, head } entries. */
export function heads(min: number): Check<HeadRef[]> {
  const list = array(object({ layer: index, head: index }), MAX_HEADS);
  return (value, at) => {
    const checked = list(value, at);
    if (checked.length < min) throw new ProtocolViolation(at, `at least ${min} head${min === 1 ? '' : 's'}`);
    return checked;
  };
}

export type ExportKind = 'png' | 'json' | 'csv';

const hasControlCharacter = (text: string) => [...text].some((char) => char.charCodeAt(0) < 0x20);

export interface ExportRequest<K extends ExportKind> {
  kind: K;
  /** A file name only, proposed in the save dialog. */
  name: string;
  /** A PNG data URL for 'png', the text for 'csv'; none for the report's 'json' (the host builds it). */
  data?: string;
}

/** An export request of a panel that exports these kinds. */
export function exportRequest<K extends ExportKind>(kinds: readonly K[]): Check<ExportRequest<K>> {
  return (value, at) => {
    const fail = (field: string, expected: string): never => {
      throw new ProtocolViolation(`${at}.${field}`, expected);
    };
    if (!isObject(value)) return fail('', 'an object');
    const { kind, name, data } = value;
    if (!kinds.includes(kind as K)) fail('kind', kinds.join(' or '));
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME || /[\\/]|^\.\.?$/.test(name) || hasControlCharacter(name)) fail('name', 'a file name');
    if (data !== undefined && (typeof data !== 'string' || data.length > MAX_EXPORT_DATA)) fail('data', 'bounded text');
    if (kind === 'png' && (typeof data !== 'string' || !data.startsWith('data:image/png;base64,'))) fail('data', 'a PNG data URL');
    if (kind === 'csv' && data === undefined) fail('data', 'the CSV text');
    return { kind: kind as K, name: name as string, ...(data !== undefined ? { data: data as string } : {}) };
  };
}

/** Where an export was saved; null when the user cancelled the dialog (or there was nothing to save). */
export interface ExportResult {
  path: string | null;
}

export const exportResult: Check<ExportResult> = object({ path: nullable(string(10_000)) });

/** A state the webview (or VS Code, restoring a panel) hands the host: none when it has none. */
export function readyState<S>(state: Check<S>): Check<S | null> {
  return (value, at) => (value === null || value === undefined ? null : state(value, at));
}
