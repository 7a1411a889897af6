/**
 * The channel between the host and the Sink Report webview. The webview asks for what needs the
 * worker or the disk (an attention map, an ablation, an export) and tells the host what it shows;
 * the host sends it runs as events. A finished run crosses in ONE message, its report with the bulk
 * numbers as Float32Array (RunReport):
 *
 *   runStarted (what was asked) → runProgress … → runReport   (or runError, at any point after runStarted)
 *
 * Each runStarted or runReport of another run replaces what the panel shows: nothing derived from
 * the previous run stays. A replay of a stored run is its runStarted followed by its runReport.
 *
 * Requests:  attentionMap → AttentionMapPayload · ablateHeads → null · export → ExportResult
 * Events to the host:     ready, stateChanged, revealToken, command
 * Events to the webview:  abilities, runStarted, runProgress, runReport, runError, focus
 */
import type { HeadRef } from '../analyses';
import { boolean, integer, literal, never, none, nullable, object, optional, string, type Check } from '../checks';
import { attentionMapPayload, errorPayload, runReport } from '../documentChecks';
import type { ErrorPayload } from '../errors';
import type { Side, SideChecks } from '../rpc';
import type { AttentionMapPayload, RunReport } from '../runReport';
import { exportRequest, exportResult, heads, index, readyState, runId, type ExportRequest, type ExportResult } from './webviewChecks';

/**
 * What the webview keeps with getState/setState and what the serializer restores from: the view of
 * ONE run (its id first). A kept state whose runId is not the run shown is dropped, never applied.
 */
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

export type ReportCommand = 'selectModel' | 'openSettings' | 'rerun' | 'openDemoPrompts';

/** What the user asked for: shown while the run starts, and kept with a run that was cancelled or failed. */
export interface RunAsked {
  runId: string;
  /** The prompt's text (at most a few hundred characters) or its ids. */
  prompt: string;
  /** Where it came from (`file.py:12`, "token ids"). */
  source: string;
  /** The model's path or hub id. */
  modelPath: string;
  /** Whether that is the bundled demo model (whose sink needs its own task language). */
  demoModel: boolean;
}

/**
 * What the page's host can do besides showing a run. VS Code can do all of it; an exported HTML
 * page has no model to rerun, no settings and no editor, and says so instead of offering buttons.
 */
export interface ReportHostAbilities {
  /** Re-run, Select Model…, Ablate Selected Heads (which reruns the model). */
  models: boolean;
  /** Show in editor, Open demo prompts. */
  editor: boolean;
  /** Why the missing ones are missing, shown where they would be. */
  reason: string | null;
}

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
    abilities: ReportHostAbilities;
    runStarted: RunAsked;
    /** How a started run is getting on ("loading the model…"), until its report arrives. */
    runProgress: { runId: string; message: string };
    /** The finished run, whole. */
    runReport: RunReport;
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
    command: object({ command: literal('selectModel', 'openSettings', 'rerun', 'openDemoPrompts') }),
  },
};

export const reportWebviewChecks: SideChecks<ReportWebviewSide> = {
  params: {},
  results: {},
  progress: {},
  events: {
    abilities: object({ models: boolean, editor: boolean, reason: nullable(string(2000)) }),
    runStarted: object({ runId, prompt: string(10_000), source: string(10_000), modelPath: string(10_000), demoModel: boolean }),
    runProgress: object({ runId, message: string(2000) }),
    runReport,
    runError: object({ runId: nullable(runId), error: errorPayload }),
    focus: object({ runId, token: optional(index), layer: optional(index), head: optional(headOrMean) }),
  },
};
