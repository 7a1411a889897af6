/**
 * What the Sink Analyses panel shows, as a pure function of what the host said: nothing, the
 * analysis that is running (what was asked), its result, or why it ended without one (cancelled,
 * failed) with what was asked. `running` replaces whatever was shown, so a cancelled analysis never
 * has an earlier result under it; a result or an error counts only for the analysis of its id.
 * Pure, unit-tested.
 */
import type { AnalysisView, RunningAnalysis } from '../../src/protocol/channels/analyses';
import type { ErrorPayload } from '../../src/protocol/errors';

export type AnalysesShown = { kind: 'none' } | { kind: 'running'; running: RunningAnalysis } | { kind: 'done'; view: AnalysisView } | { kind: 'ended'; running: RunningAnalysis; error: ErrorPayload };

export type AnalysesMessage = { type: 'running'; body: RunningAnalysis } | { type: 'analysis'; body: AnalysisView } | { type: 'analysisError'; body: { id: string; error: ErrorPayload } };

export function shownAnalysisId(shown: AnalysesShown): string | null {
  switch (shown.kind) {
    case 'none':
      return null;
    case 'done':
      return shown.view.id;
    default:
      return shown.running.id;
  }
}

/** The state after a message; null when it is about an analysis the panel does not show (ignored). */
export function nextAnalysesShown(shown: AnalysesShown, message: AnalysesMessage): AnalysesShown | null {
  switch (message.type) {
    case 'running':
      return { kind: 'running', running: message.body };
    case 'analysis':
      // The result of the analysis running, or one the host shows again (a panel shown anew).
      if (shown.kind === 'running' && shown.running.id !== message.body.id) return null;
      return { kind: 'done', view: message.body };
    case 'analysisError':
      if (shown.kind !== 'running' || shown.running.id !== message.body.id) return null;
      return { kind: 'ended', running: shown.running, error: message.body.error };
  }
}

/** What the body's data-analysis-state says (the UI tests wait on it). */
export function analysisState(shown: AnalysesShown): 'empty' | 'running' | 'done' | 'cancelled' | 'error' {
  switch (shown.kind) {
    case 'none':
      return 'empty';
    case 'running':
      return 'running';
    case 'done':
      return 'done';
    case 'ended':
      return shown.error.category === 'cancelled' ? 'cancelled' : 'error';
  }
}
