/**
 * The channel between the host and the checkpoint-trace webview ("Sink Trace"). The host sends the
 * trace as it is measured (the whole view each time: a few KB per checkpoint); the webview asks to
 * export a chart or the table and to open one checkpoint in the Sink Report.
 *
 * Requests:  export → ExportResult
 * Events to the host:     ready, stateChanged, openCheckpoint
 * Events to the webview:  trace, traceError, select
 */
import { boolean, matching, never, nullable, object, ProtocolViolation, string, type Check } from '../checks';
import { errorPayload, traceDocument } from '../documentChecks';
import type { ErrorPayload } from '../errors';
import type { Side, SideChecks } from '../rpc';
import type { TraceDocument } from '../trace';
import { exportRequest, exportResult, index, readyState, type ExportRequest, type ExportResult } from './webviewChecks';

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

/** The trace panel exports its charts and heat map as PNG and its checkpoint table as CSV (always with data). */
export type TraceExportRequest = ExportRequest<'png' | 'csv'> & { data: string };

export interface TraceHostSide extends Side {
  requests: { export: { params: TraceExportRequest; result: ExportResult; progress: never } };
  events: {
    ready: { state: TraceWebviewState | null };
    stateChanged: { state: TraceWebviewState };
    openCheckpoint: { traceId: string; index: number };
  };
}

export interface TraceWebviewSide extends Side {
  requests: Record<never, never>;
  events: {
    trace: TraceView;
    traceError: { traceId: string; error: ErrorPayload };
    select: { index: number };
  };
}

/** The trace store's ids: hex (the extension's traceStore makes 16 characters). */
const traceId = matching(/^[0-9a-f]{1,64}$/, 64, 'a trace id');

export const traceWebviewState: Check<TraceWebviewState> = object({ traceId: nullable(traceId), selected: nullable(index) });

/** exportRequest already insists on data for PNG and CSV; said again here for the type. */
const traceExport: Check<TraceExportRequest> = (value, at) => {
  const { data, ...request } = exportRequest(['png', 'csv'])(value, at);
  if (data === undefined) throw new ProtocolViolation(`${at}.data`, 'the exported data');
  return { ...request, data };
};

export const traceHostChecks: SideChecks<TraceHostSide> = {
  params: { export: traceExport },
  results: { export: exportResult },
  progress: { export: never },
  events: {
    ready: object({ state: readyState(traceWebviewState) }),
    stateChanged: object({ state: traceWebviewState }),
    openCheckpoint: object({ traceId, index }),
  },
};

export const traceWebviewChecks: SideChecks<TraceWebviewSide> = {
  params: {},
  results: {},
  progress: {},
  events: {
    trace: object({ traceId, name: string(1000), folder: string(10_000), total: index, done: boolean, trace: traceDocument }),
    traceError: object({ traceId, error: errorPayload }),
    select: object({ index }),
  },
};
