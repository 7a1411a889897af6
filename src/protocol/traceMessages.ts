/**
 * Messages of the checkpoint-trace panel (host ↔ webview/trace). Kept apart from the report
 * panel's protocol: the two webviews share nothing but the engine's trace document. No `vscode`
 * and no DOM types here.
 */
import { isIndex, isObject, parseExport, parseStateMessage } from './reportMessages';
import type { TraceDocument } from './trace';

/** What the trace webview keeps with setState and what the serializer restores from. */
export interface TraceWebviewState {
  traceId: string | null;
  /** Index of the selected checkpoint (by step order); null: the last one. */
  selected: number | null;
}

/** A trace as the panel shows it: while it runs, `trace.checkpoints` holds those measured so far. */
export interface TraceView {
  traceId: string;
  /** Short name for titles (the folder's last two parts). */
  name: string;
  folder: string;
  /** Checkpoints found; trace.checkpoints.length of them are measured. */
  total: number;
  done: boolean;
  trace: TraceDocument;
}

export type ToTraceWebviewMessage =
  | { type: 'trace'; view: TraceView }
  | { type: 'traceError'; traceId: string; message: string }
  | { type: 'select'; index: number }
  /** After an export: where it was saved; null when the save dialog was cancelled. */
  | { type: 'exportDone'; path: string | null };

/** The trace panel exports its charts and heat map as PNG and its checkpoint table as CSV. */
export type TraceExportKind = 'png' | 'csv';

export type FromTraceWebviewMessage =
  | { type: 'ready'; state: TraceWebviewState | null }
  | { type: 'stateChanged'; state: TraceWebviewState }
  | { type: 'openCheckpoint'; traceId: string; index: number }
  /** data: a PNG data URL, or the CSV text (the same as `sink-lens trace --csv`). */
  | { type: 'export'; kind: TraceExportKind; name: string; data: string };

/** The trace store's ids: hex (src/traceStore.ts makes 16 characters). */
const isTraceId = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{1,64}$/.test(value);

function parseState(value: unknown): TraceWebviewState | undefined {
  if (!isObject(value)) return undefined;
  const { traceId, selected } = value;
  if (!(traceId === null || isTraceId(traceId)) || !(selected === null || isIndex(selected))) return undefined;
  return { traceId, selected };
}

/** The message as the host may use it, or undefined when it is not one the trace webview sends. */
export function parseFromTraceWebviewMessage(value: unknown): FromTraceWebviewMessage | undefined {
  if (!isObject(value) || typeof value.type !== 'string') return undefined;
  switch (value.type) {
    case 'ready':
    case 'stateChanged':
      return parseStateMessage(value.type, value.state, parseState);
    case 'openCheckpoint': {
      const { traceId, index } = value;
      return isTraceId(traceId) && isIndex(index) ? { type: 'openCheckpoint', traceId, index } : undefined;
    }
    case 'export': {
      const parsed = parseExport(value, ['png', 'csv']);
      return parsed?.data !== undefined ? { ...parsed, data: parsed.data } : undefined;
    }
    default:
      return undefined;
  }
}
