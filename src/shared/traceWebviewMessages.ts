/**
 * Validation of the trace webview's messages before the host uses them, as the report panel's
 * are (webviewMessages.ts): only these shapes, with ids, indexes and export data bounded. A trace
 * id names a file in the trace store; an export's name is proposed in a save dialog.
 */
import type { FromTraceWebviewMessage, TraceWebviewState } from './traceProtocol';
import { isIndex, isObject, parseExport, parseStateMessage } from './webviewMessages';

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
