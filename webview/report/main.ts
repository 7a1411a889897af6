/**
 * The Sink Report webview. What it shows is a pure function of what the host said about runs
 * (reportState.ts): nothing, a run starting, one run (its whole report), or a run that was
 * cancelled or failed. A message about another run replaces the page (runPage.ts for a run,
 * statusPage.ts otherwise): nothing derived from the previous run stays. The user's view of the run
 * (layer, head, token, open map, selected heads) is kept with setState under the run's id, so the
 * panel comes back as it was after a reload, and a kept view of another run is dropped. The body's
 * data-run-state says where the run shown is: none, starting, done, cancelled or error
 * (the UI tests wait on it).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { reportHostChecks, reportWebviewChecks, type ReportHostAbilities, type ReportHostSide, type ReportWebviewSide, type ReportWebviewState } from '../../src/protocol/channels/report';
import { connectToHost } from '../kit/messageClient';
import { onThemeChange } from '../kit/theme';
import { recordNow, recordTiming } from '../kit/timings';
import { focusedView, NOTHING_SHOWN, nextShown, runState, shownRunId, viewStateFor, type RunMessage, type Shown } from './reportState';
import { RunPage, type RunPageHost } from './runPage';
import { statusPage } from './statusPage';

const { host, getState, setState: keepState } = connectToHost<ReportWebviewSide, ReportHostSide, ReportWebviewState>({ webview: reportWebviewChecks, host: reportHostChecks });

const app = document.getElementById('app')!;
/** The view kept for the run shown (restored after a reload until a run replaces it). */
let view: ReportWebviewState | null = getState() ?? null;
let shown: Shown = NOTHING_SHOWN;
let page: RunPage | null = null;
/** VS Code can do everything; an exported page's host says what it cannot. */
let abilities: ReportHostAbilities = { models: true, editor: true, reason: null };

const pageHost: RunPageHost = {
  get abilities() {
    return abilities;
  },
  attentionMap: (runId, layer, head) => host.request('attentionMap', { runId, layer, head }),
  ablate: (runId, heads) => host.request('ablateHeads', { runId, heads }),
  exportFile: (kind, name, data) => host.request('export', { kind, name, ...(data !== undefined ? { data } : {}) }),
  command: (command) => host.notify('command', { command }),
  revealToken: (runId, token) => host.notify('revealToken', { runId, token }),
};

function keepView(next: ReportWebviewState | null): void {
  view = next;
  const state = next ?? { runId: null, layer: 0, head: -1, focusedToken: null, mapOpen: false, selectedHeads: [] };
  keepState(state);
  host.notify('stateChanged', { state });
}

/** A message about runs: the state moves on; a new run (or phase) gets a new page, a starting run its progress. */
function apply(message: RunMessage): void {
  const received = performance.now();
  const transition = nextShown(shown, message);
  if (!transition) return;
  shown = transition.shown;
  document.body.dataset.runState = runState(shown);
  if (!transition.replaced) {
    if (shown.kind === 'starting') render();
    return;
  }
  render();
  // The first paint of a run: its page built from its report (the script's part), drawn.
  if (shown.kind === 'run') {
    recordNow('firstPaintScript', received);
    recordTiming('firstPaint', received);
  }
}

function render(): void {
  page?.dispose();
  page = null;
  if (shown.kind === 'run') {
    const { runId, report } = shown.run;
    keepView(viewStateFor(runId, report, view));
    page = new RunPage(shown.run, shown.asked, view!, pageHost, keepView);
    app.replaceChildren(page.element);
  } else {
    // The view kept is of the run starting (a restored panel's run, replayed) or of none.
    if (view && view.runId !== shownRunId(shown)) keepView(null);
    app.replaceChildren(statusPage(shown, abilities, pageHost.command));
  }
}

host.listen({
  abilities: (next) => {
    abilities = next;
    render();
  },
  runStarted: (body) => apply({ type: 'runStarted', body }),
  runProgress: (body) => apply({ type: 'runProgress', body }),
  runReport: (body) => apply({ type: 'runReport', body }),
  runError: (body) => apply({ type: 'runError', body }),
  focus: (focus) => {
    if (shown.kind !== 'run' || !view || !page) return;
    const next = focusedView(view, focus, shown.run.report);
    page.focus(next, focus.token !== undefined && next.focusedToken === focus.token ? focus.token : undefined);
  },
});

onThemeChange(() => page?.rethemed());

document.body.dataset.runState = runState(shown);
host.notify('ready', { state: view?.runId ? view : null });
// The charts format their ticks with Intl.NumberFormat, whose first use loads the locale data
// (~60 ms): done while the panel waits for its run, not when the run's first paint is due.
requestIdleCallback(() => new Intl.NumberFormat().format(1.5));
