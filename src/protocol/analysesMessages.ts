/**
 * Messages of the "Sink Analyses" panel (host ↔ webview/analyses): the paper's multi-run analyses
 * (with/without BOS, many prompts, a head sweep, first-token substitution), one view per kind. The
 * webview keeps the shown analysis in its state, so a restored panel needs nothing from the host.
 * No `vscode` and no DOM types here.
 */
import type { MultiAnalysisKind, MultiAnalysisResult } from './channels/worker';

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

export interface AnalysesWebviewState {
  view: AnalysisView | null;
  /** Batch view: the depth whose mean P0 state is drawn as bars; null: the first massive depth, else the last. */
  depth: number | null;
}

export type ToAnalysesWebviewMessage =
  | { type: 'running'; kind: MultiAnalysisKind; title: string }
  | { type: 'analysis'; view: AnalysisView }
  | { type: 'analysisError'; message: string };

export type FromAnalysesWebviewMessage =
  | { type: 'ready'; state: AnalysesWebviewState | null }
  | { type: 'stateChanged'; state: AnalysesWebviewState };
