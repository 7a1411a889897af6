/**
 * Validation of messages from the webview before the host uses them. The webview renders document
 * text; were anything ever to run in it, what it can send is still limited to these shapes, with
 * numbers in range and strings bounded. Anything else is dropped.
 */
import type { HeadRef } from './analyses';
import type { ErrorPayload } from './errors';
import type { AttentionMapPayload, RunLayer, RunReceived, RunSummary } from './runParts';

/** What the webview keeps with getState/setState and what the serializer restores from. */
export interface WebviewState {
  runId: string | null;
  layer: number;
  /** -1 = mean over heads. */
  head: number;
  focusedToken: number | null;
  /** Whether the user opened an attention map; a restored or re-run panel then loads it again. */
  mapOpen: boolean;
  /** Heads selected in the sink grid for "Ablate Selected Heads" (absent in states saved before it existed). */
  selectedHeads?: HeadRef[];
}

export type ToWebviewMessage =
  | { type: 'runBegin'; summary: RunSummary }
  | { type: 'runLayer'; layer: RunLayer }
  | { type: 'runReceived'; received: RunReceived }
  | { type: 'runEnd'; runId: string }
  | { type: 'runError'; runId: string | null; error: ErrorPayload }
  | { type: 'attentionMap'; inReplyTo: number; map: AttentionMapPayload }
  | { type: 'attentionMapError'; inReplyTo: number; error: ErrorPayload }
  | { type: 'focus'; runId: string; token?: number; layer?: number; head?: number }
  | { type: 'exportDone'; path: string | null }
  /** The answer to 'ablateHeads': the result itself is shown in the Sink Analyses panel; error null when it is. */
  | { type: 'ablationDone'; inReplyTo: number; error: ErrorPayload | null };

export type ExportKind = 'png' | 'json' | 'csv';

export type FromWebviewMessage =
  | { type: 'ready'; state: WebviewState | null }
  | { type: 'requestAttentionMap'; requestId: number; runId: string; layer: number; head: number }
  | { type: 'export'; kind: ExportKind; name: string; /** base64 PNG or CSV text; JSON is built by the host. */ data?: string }
  | { type: 'revealToken'; runId: string; token: number }
  /** Rerun this run's prompt with these heads removed together (one variant); answered by 'ablationDone'. */
  | { type: 'ablateHeads'; requestId: number; runId: string; heads: HeadRef[] }
  | { type: 'stateChanged'; state: WebviewState }
  | { type: 'command'; command: 'selectModel' | 'openSettings' | 'rerun' };


const MAX_RUN_ID = 200;
const MAX_NAME = 300;
/** A PNG of a tall chart as a data URL, or a CSV of a large report. */
const MAX_EXPORT_DATA = 64 * 1024 * 1024;
/** Every head of a very large model (e.g. 126 layers x 128 heads) fits; more is not a selection. */
const MAX_HEADS = 16_384;

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
export const isIndex = (value: unknown, min = 0): value is number => Number.isSafeInteger(value) && (value as number) >= min && (value as number) < 1_000_000_000;
const isRunId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_RUN_ID && /^[\w.:-]+$/.test(value);

/**
 * An export request of either panel: a kind the panel exports, a file name only (no folders, no
 * control characters; the user still confirms in a save dialog), and bounded data: a PNG data URL
 * for 'png', text for 'csv', none needed for the report's 'json' (built by the host).
 */
export function parseExport<K extends ExportKind>(value: Record<string, unknown>, kinds: readonly K[]): { type: 'export'; kind: K; name: string; data?: string } | undefined {
  const { kind, name, data } = value;
  if (!kinds.includes(kind as K)) return undefined;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME || /[\\/\0-\x1f]|^\.\.?$/.test(name)) return undefined;
  if (data !== undefined && (typeof data !== 'string' || data.length > MAX_EXPORT_DATA)) return undefined;
  if (kind === 'png' && (data === undefined || !data.startsWith('data:image/png;base64,'))) return undefined;
  if (kind === 'csv' && data === undefined) return undefined;
  return { type: 'export', kind: kind as K, name, ...(data !== undefined ? { data } : {}) };
}

/** 'ready' (with the webview's kept state, or none) and 'stateChanged' of either panel, given the panel's state parser. */
export function parseStateMessage<S>(
  type: 'ready' | 'stateChanged',
  value: unknown,
  parseState: (value: unknown) => S | undefined,
): { type: 'ready'; state: S | null } | { type: 'stateChanged'; state: S } | undefined {
  if (type === 'ready' && (value === null || value === undefined)) return { type: 'ready', state: null };
  const state = parseState(value);
  if (!state) return undefined;
  return type === 'ready' ? { type: 'ready', state } : { type: 'stateChanged', state };
}

/** A list of { layer, head } (copied: extra fields dropped), or undefined when any entry is not one. */
function parseHeads(value: unknown, min: number): HeadRef[] | undefined {
  if (!Array.isArray(value) || value.length < min || value.length > MAX_HEADS) return undefined;
  const heads: HeadRef[] = [];
  for (const entry of value) {
    if (!isObject(entry) || !isIndex(entry.layer) || !isIndex(entry.head)) return undefined;
    heads.push({ layer: entry.layer, head: entry.head });
  }
  return heads;
}

function parseState(value: unknown): WebviewState | undefined {
  if (!isObject(value)) return undefined;
  const { runId, layer, head, focusedToken, mapOpen, selectedHeads } = value;
  if (!(runId === null || isRunId(runId))) return undefined;
  if (!isIndex(layer) || !isIndex(head, -1) || !(focusedToken === null || focusedToken === undefined || isIndex(focusedToken)) || typeof mapOpen !== 'boolean') return undefined;
  const selected = selectedHeads === undefined ? undefined : parseHeads(selectedHeads, 0);
  if (selectedHeads !== undefined && !selected) return undefined;
  return { runId, layer, head, focusedToken: focusedToken ?? null, mapOpen, ...(selected ? { selectedHeads: selected } : {}) };
}

/** The message as the host may use it, or undefined when it is not one the webview sends. */
export function parseFromWebviewMessage(value: unknown): FromWebviewMessage | undefined {
  if (!isObject(value) || typeof value.type !== 'string') return undefined;
  switch (value.type) {
    case 'ready':
    case 'stateChanged':
      return parseStateMessage(value.type, value.state, parseState);
    case 'requestAttentionMap': {
      const { requestId, runId, layer, head } = value;
      if (!isIndex(requestId) || !isRunId(runId) || !isIndex(layer) || !isIndex(head, -1)) return undefined;
      return { type: 'requestAttentionMap', requestId, runId, layer, head };
    }
    case 'export':
      return parseExport(value, ['png', 'json', 'csv']);
    case 'revealToken': {
      const { runId, token } = value;
      if (!isRunId(runId) || !isIndex(token)) return undefined;
      return { type: 'revealToken', runId, token };
    }
    case 'ablateHeads': {
      // Shape and range only: whether the heads exist is checked against the model in the worker.
      const { requestId, runId } = value;
      const heads = parseHeads(value.heads, 1);
      if (!isIndex(requestId) || !isRunId(runId) || !heads) return undefined;
      return { type: 'ablateHeads', requestId, runId, heads };
    }
    case 'command': {
      const { command } = value;
      if (command !== 'selectModel' && command !== 'openSettings' && command !== 'rerun') return undefined;
      return { type: 'command', command };
    }
    default:
      return undefined;
  }
}
