/**
 * What the Sink Report shows, as a pure function of what the host said: no run yet, a run that is
 * starting (what was asked, how it is getting on), one run (its whole report), or a run that
 * ended without a report (cancelled or failed, with what was asked). Every message from the host
 * goes through `nextShown`: one about another run REPLACES the state, so nothing derived from the
 * previous run (its token card, heat-map read-out, selected heads, focused token) can survive; one
 * about the run shown updates it; anything else is ignored. The view of the shown run (layer, head,
 * token, whether a map is open, selected heads) is a ReportWebviewState keyed by that run's id:
 * `viewStateFor` keeps a kept state only when its id is the run's. Pure, unit-tested.
 */
import type { ReportWebviewState, RunAsked } from '../../src/protocol/channels/report';
import type { ErrorPayload } from '../../src/protocol/errors';
import type { ReportArrays, RunReport } from '../../src/protocol/runReport';
import { newRunView, type RunView } from './runView';

export type Shown =
  | { kind: 'none' }
  | { kind: 'starting'; asked: RunAsked; progress: string | null }
  | { kind: 'run'; asked: RunAsked | null; run: RunView }
  | { kind: 'ended'; asked: RunAsked | null; runId: string | null; error: ErrorPayload };

/** The host's messages about runs (src/protocol/channels/report.ts). */
export type RunMessage =
  | { type: 'runStarted'; body: RunAsked }
  | { type: 'runProgress'; body: { runId: string; message: string } }
  | { type: 'runReport'; body: RunReport }
  | { type: 'runError'; body: { runId: string | null; error: ErrorPayload } };

/** The next state; `replaced` when it is about another run (or another phase of it) and the page is built anew. */
export interface Transition {
  shown: Shown;
  replaced: boolean;
}

export const NOTHING_SHOWN: Shown = { kind: 'none' };

/** The id of the run shown (starting, shown, or ended), if any. */
export function shownRunId(shown: Shown): string | null {
  switch (shown.kind) {
    case 'none':
      return null;
    case 'starting':
      return shown.asked.runId;
    case 'run':
      return shown.run.runId;
    case 'ended':
      return shown.runId;
  }
}

const askedOf = (shown: Shown, runId: string): RunAsked | null => (shown.kind !== 'none' && shown.asked?.runId === runId ? shown.asked : null);

/** The state after a message from the host; null when the message is not about the run shown (ignored). */
export function nextShown(shown: Shown, message: RunMessage): Transition | null {
  const current = shownRunId(shown);
  switch (message.type) {
    case 'runStarted':
      return { shown: { kind: 'starting', asked: message.body, progress: null }, replaced: true };
    case 'runProgress':
      if (shown.kind !== 'starting' || current !== message.body.runId) return null;
      return { shown: { ...shown, progress: message.body.message }, replaced: false };
    case 'runReport':
      return { shown: { kind: 'run', asked: askedOf(shown, message.body.runId), run: newRunView(message.body) }, replaced: true };
    case 'runError': {
      const { runId, error } = message.body;
      // runId null: a run that failed before the panel knew it; otherwise only the run shown.
      if (runId !== null && runId !== current) return null;
      return { shown: { kind: 'ended', asked: runId === null ? null : askedOf(shown, runId), runId, error }, replaced: true };
    }
  }
}

/** What the body's data-run-state says (the UI tests wait on it). */
export function runState(shown: Shown): 'none' | 'starting' | 'done' | 'cancelled' | 'error' {
  switch (shown.kind) {
    case 'none':
      return 'none';
    case 'starting':
      return 'starting';
    case 'run':
      return 'done';
    case 'ended':
      return shown.error.category === 'cancelled' ? 'cancelled' : 'error';
  }
}

/** A run's view before the user did anything with it. */
export function freshViewState(runId: string): ReportWebviewState {
  return { runId, layer: 0, head: -1, focusedToken: null, mapOpen: false, selectedHeads: [] };
}

/**
 * The view of this run: `kept` (the state restored or kept so far) when it belongs to the same run,
 * limited to what the run has; otherwise a fresh one. A state of another run is dropped, not mixed in.
 */
export function viewStateFor(runId: string, report: Pick<ReportArrays, 'model' | 'tokens'>, kept: ReportWebviewState | null | undefined): ReportWebviewState {
  if (!kept || kept.runId !== runId) return freshViewState(runId);
  const { layers, heads } = report.model;
  const tokens = report.tokens.length;
  const layer = kept.layer < layers ? kept.layer : 0;
  const head = kept.head < heads ? kept.head : -1;
  return {
    runId,
    layer,
    head,
    focusedToken: kept.focusedToken !== null && kept.focusedToken < tokens ? kept.focusedToken : null,
    mapOpen: kept.mapOpen && layer === kept.layer && head === kept.head,
    selectedHeads: (kept.selectedHeads ?? []).filter((ref) => ref.layer < layers && ref.head < heads),
  };
}

/** The host's `focus` on the run shown (a hover card's link, the explorer, a restored panel): the map and token it names. */
export function focusedView(view: ReportWebviewState, focus: { runId: string; token?: number; layer?: number; head?: number }, report: Pick<ReportArrays, 'model' | 'tokens'>): ReportWebviewState {
  if (focus.runId !== view.runId) return view;
  const next = { ...view };
  const head = focus.head ?? view.head;
  if (focus.layer !== undefined && focus.layer < report.model.layers && head < report.model.heads) Object.assign(next, { layer: focus.layer, head, mapOpen: true });
  if (focus.token !== undefined && focus.token < report.tokens.length) next.focusedToken = focus.token;
  return next;
}
