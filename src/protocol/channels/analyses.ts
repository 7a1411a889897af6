/**
 * The channel between the host and the "Sink Analyses" webview: the paper's multi-run analyses
 * (with/without BOS, many prompts, a head sweep or a set of heads ablated, first-token
 * substitution), one view per kind. The webview keeps the shown analysis in its own state, so a
 * restored panel needs nothing from the host; it tells the host only which analysis it shows.
 *
 * Events to the host:     ready, stateChanged
 * Events to the webview:  running, analysis, analysisError
 */
import { boolean, literal, nullable, object, string, array, type Check } from '../checks';
import { errorPayload } from '../documentChecks';
import type { ErrorPayload } from '../errors';
import type { Side, SideChecks } from '../rpc';
import { multiAnalysisResult, type MultiAnalysisKind, type MultiAnalysisResult } from './worker';

/** An analysis as the panel shows it. */
export interface AnalysisView {
  id: string;
  title: string;
  /** Where the prompts came from (a file, a selection), for the header. */
  origin: string;
  /** The prompts' text (previews), in order. */
  prompts: string[];
  createdAt: string;
  /** Whether BOS was prepended (sinkLens.addBos): with it, P0's cross-input cosine is 1 by construction. */
  addBos: boolean;
  result: MultiAnalysisResult;
}

/** What the analyses webview keeps with setState (VS Code restores it; the host reads only the view's id). */
export interface AnalysesWebviewState {
  view: AnalysisView | null;
  /** Batch view: the depth whose mean P0 state is drawn as bars; null: the first massive depth, else the last. */
  depth: number | null;
}

export interface AnalysesHostSide extends Side {
  requests: Record<never, never>;
  events: {
    /** analysisId: the analysis the webview shows (from its kept state), or null. */
    ready: { analysisId: string | null };
    stateChanged: { analysisId: string | null };
  };
}

export interface AnalysesWebviewSide extends Side {
  requests: Record<never, never>;
  events: {
    running: { kind: MultiAnalysisKind; title: string };
    analysis: AnalysisView;
    analysisError: { error: ErrorPayload };
  };
}

const analysisId = nullable(string(200));

/** The id of the analysis a restored panel's kept state shows, or null (anything else in it is the webview's). */
export const analysisIdOfState: Check<string | null> = (value, at) => {
  const view = typeof value === 'object' && value !== null ? (value as { view?: unknown }).view : null;
  const id = typeof view === 'object' && view !== null ? (view as { id?: unknown }).id : null;
  return analysisId(id ?? null, `${at}.view.id`);
};

export const analysesHostChecks: SideChecks<AnalysesHostSide> = {
  params: {},
  results: {},
  progress: {},
  events: { ready: object({ analysisId }), stateChanged: object({ analysisId }) },
};

export const analysesWebviewChecks: SideChecks<AnalysesWebviewSide> = {
  params: {},
  results: {},
  progress: {},
  events: {
    running: object({ kind: literal('compareBos', 'batch', 'sweepLayer', 'ablateHeads', 'substitute'), title: string(1000) }),
    analysis: object({
      id: string(200),
      title: string(1000),
      origin: string(10_000),
      prompts: array(string()),
      createdAt: string(100),
      addBos: boolean,
      result: multiAnalysisResult,
    }),
    analysisError: object({ error: errorPayload }),
  },
};
