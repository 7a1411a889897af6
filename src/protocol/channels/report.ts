/**
 * The channel between the host and the Sink Report webview. The webview asks for what needs the
 * worker or the disk (an attention map, an ablation, an export) and tells the host what it shows;
 * the host streams runs to it as events. A run streams in parts so the panel paints early:
 *
 *   runBegin (RunSummary) → runLayer × layers → runReceived × layers → runEnd   (or runError)
 *
 * Requests:  attentionMap → AttentionMapPayload · ablateHeads → null · export → ExportResult
 * Events to the host:     ready, stateChanged, revealToken, command
 * Events to the webview:  runBegin, runLayer, runReceived, runEnd, runError, focus
 */
import type { HeadRef } from '../analyses';
import { boolean, integer, literal, never, none, nullable, object, optional, type Check } from '../checks';
import { attentionMapPayload, errorPayload, runLayer, runReceived, runSummary } from '../documentChecks';
import type { ErrorPayload } from '../errors';
import type { Side, SideChecks } from '../rpc';
import type { AttentionMapPayload, RunLayer, RunReceived, RunSummary } from '../runParts';
import { exportRequest, exportResult, heads, index, readyState, runId, type ExportRequest, type ExportResult } from './webviewChecks';

/** What the webview keeps with getState/setState and what the serializer restores from. */
export interface ReportWebviewState {
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

export type ReportCommand = 'selectModel' | 'openSettings' | 'rerun';

/** What the host answers and hears from the Sink Report webview. */
export interface ReportHostSide extends Side {
  requests: {
    attentionMap: { params: { runId: string; layer: number; head: number }; result: AttentionMapPayload; progress: never };
    /** Rerun this run's prompt with these heads removed together; the result shows in the Sink Analyses panel. */
    ablateHeads: { params: { runId: string; heads: HeadRef[] }; result: null; progress: never };
    export: { params: ExportRequest<'png' | 'json' | 'csv'>; result: ExportResult; progress: never };
  };
  events: {
    ready: { state: ReportWebviewState | null };
    stateChanged: { state: ReportWebviewState };
    revealToken: { runId: string; token: number };
    command: { command: ReportCommand };
  };
}

/** What the Sink Report webview hears from the host. */
export interface ReportWebviewSide extends Side {
  requests: Record<never, never>;
  events: {
    runBegin: RunSummary;
    runLayer: RunLayer;
    runReceived: RunReceived;
    runEnd: { runId: string };
    /** runId null: the run failed before it had one the panel knows. */
    runError: { runId: string | null; error: ErrorPayload };
    focus: { runId: string; token?: number; layer?: number; head?: number };
  };
}

const headOrMean = integer(-1, 999_999_999);

export const reportWebviewState: Check<ReportWebviewState> = (value, at) => {
  const state = object({
    runId: nullable(runId),
    layer: index,
    head: headOrMean,
    focusedToken: optional(nullable(index)),
    mapOpen: boolean,
    selectedHeads: optional(heads(0)),
  })(value, at);
  return { ...state, focusedToken: state.focusedToken ?? null };
};

export const reportHostChecks: SideChecks<ReportHostSide> = {
  params: {
    attentionMap: object({ runId, layer: index, head: headOrMean }),
    ablateHeads: object({ runId, heads: heads(1) }),
    export: exportRequest(['png', 'json', 'csv']),
  },
  results: {
    attentionMap: attentionMapPayload,
    ablateHeads: none,
    export: exportResult,
  },
  progress: { attentionMap: never, ablateHeads: never, export: never },
  events: {
    ready: object({ state: readyState(reportWebviewState) }),
    stateChanged: object({ state: reportWebviewState }),
    revealToken: object({ runId, token: index }),
    command: object({ command: literal('selectModel', 'openSettings', 'rerun') }),
  },
};

export const reportWebviewChecks: SideChecks<ReportWebviewSide> = {
  params: {},
  results: {},
  progress: {},
  events: {
    runBegin: runSummary,
    runLayer,
    runReceived,
    runEnd: object({ runId }),
    runError: object({ runId: nullable(runId), error: errorPayload }),
    focus: object({ runId, token: optional(index), layer: optional(index), head: optional(headOrMean) }),
  },
};
