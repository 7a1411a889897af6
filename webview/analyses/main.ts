/**
 * The "Sink Analyses" webview: the paper's multi-run analyses, one view per kind.
 *   - with / without BOS: sink rates side by side, both P0 norm-ratio curves on one chart, both
 *     sink grids and both verdicts (Table 1a, Figure 3);
 *   - many prompts: per-prompt sink rates and their mean, a depth x position heat map of the
 *     cross-input cosine with P0 highlighted, P0 separation, the mean P0 state's top dims
 *     (massive activations) and the MLP activations of layers 0-1 at P0 (Figures 4-5);
 *   - head ablation: each head of a layer removed in turn (a sweep), or the heads selected in the
 *     Sink Report's grid removed together, against the baseline;
 *   - first-token substitution: does the sink follow position 0 or the token?
 * One view module each (bosView.ts, batchView.ts, ablationView.ts, substitutionView.ts).
 * Sliding-window layers (model.slidingWindowLayers) are marked wherever layers are listed. What
 * the panel shows is one analysis (analysesState.ts): running, its result, or why it ended without
 * one; a new one replaces it whole. A result is kept with setState under its id, so a restored panel
 * draws it again by itself; the host sends what it shows when that is another analysis.
 */
import {
  analysesHostChecks,
  analysesWebviewChecks,
  type AnalysesHostSide,
  type AnalysesWebviewSide,
  type AnalysesWebviewState,
  type AnalysisView,
  type RunningAnalysis,
} from '../../src/protocol/channels/analyses';
import { h } from '../kit/dom';
import { connectToHost } from '../kit/messageClient';
import { onThemeChange } from '../kit/theme';
import { ablationView } from './ablationView';
import { analysisState, nextAnalysesShown, type AnalysesMessage, type AnalysesShown } from './analysesState';
import { destroyCharts } from './analysisCharts';
import { batchView } from './batchView';
import { bosView } from './bosView';
import { substitutionView } from './substitutionView';

const { host, getState, setState: keepState } = connectToHost<AnalysesWebviewSide, AnalysesHostSide, AnalysesWebviewState>({ webview: analysesWebviewChecks, host: analysesHostChecks });

const app = document.getElementById('app')!;
const kept = getState();
let state: AnalysesWebviewState = { view: kept?.view ?? null, depth: kept?.depth ?? null };
let shown: AnalysesShown = state.view ? { kind: 'done', view: state.view } : { kind: 'none' };

function setState(patch: Partial<AnalysesWebviewState>): void {
  state = { ...state, ...patch };
  keepState(state);
  host.notify('stateChanged', { analysisId: state.view?.id ?? null });
}

function apply(message: AnalysesMessage): void {
  const next = nextAnalysesShown(shown, message);
  if (!next) return;
  shown = next;
  // Only a result is kept; its depth choice belongs to it and goes with it.
  const view = shown.kind === 'done' ? shown.view : null;
  setState({ view, depth: view && view.id === state.view?.id ? state.depth : null });
  render();
}

function render(): void {
  destroyCharts();
  document.body.dataset.analysisState = analysisState(shown);
  switch (shown.kind) {
    case 'none':
      delete document.body.dataset.analysisKind;
      app.replaceChildren(
        h(
          'p',
          { class: 'placeholder' },
          "Run Sink Lens: Compare Without BOS, Analyze Prompts in File / Selection, Ablate Each Head of Layer… or First-Token Substitution, or select heads in the Sink Report's grid and Ablate Selected Heads.",
        ),
      );
      return;
    case 'running':
    case 'ended': {
      document.body.dataset.analysisKind = shown.running.kind;
      const ended = shown.kind === 'ended' ? shown.error : null;
      const cancelled = ended?.category === 'cancelled';
      app.replaceChildren(
        askedHeader(shown.running, ended ? (cancelled ? 'cancelled' : 'failed') : 'running…'),
        ended
          ? h(
              'div',
              { class: 'error', role: 'alert', 'data-testid': 'analysis-status' },
              h('p', {}, cancelled ? 'Cancelled.' : ended.message),
              h('p', { class: 'hint' }, cancelled ? 'Nothing of it was kept. Run the command again to see its result.' : 'Nothing of it was kept.'),
            )
          : h('p', { class: 'progress', 'data-testid': 'analysis-status' }, `Running: ${shown.running.title}…`),
      );
      return;
    }
    case 'done':
      renderResult(shown.view);
  }
}

/** The header of an analysis that has no result (yet, or at all): what was asked and where it stands. */
function askedHeader(running: RunningAnalysis, where: string): HTMLElement {
  const model = running.modelPath.split(/[\\/]/).filter(Boolean).slice(-1)[0] ?? running.modelPath;
  return h(
    'header',
    { class: 'analyses-header' },
    h('h1', {}, `Sink analysis: ${running.title} (${where})`),
    h('p', { class: 'meta', 'data-testid': 'analysis-meta' }, h('strong', {}, model), ` · ${running.prompts} prompt${running.prompts === 1 ? '' : 's'} · ${running.origin}`),
  );
}

function renderResult(view: AnalysisView): void {
  const { result } = view;
  const model = result.model;
  document.body.dataset.analysisKind = result.kind;
  let body: (HTMLElement | string)[];
  switch (result.kind) {
    case 'compareBos':
      body = bosView(result.document, model);
      break;
    case 'batch':
      body = batchView(result.document, model, { depth: state.depth, choose: (depth) => (setState({ depth }), render()) });
      break;
    case 'sweepLayer':
      body = ablationView(result.document, model, { layer: result.layer }, view.addBos ?? true);
      break;
    case 'ablateHeads':
      body = ablationView(result.document, model, { heads: result.heads }, view.addBos ?? true);
      break;
    case 'substitute':
      body = substitutionView(result.document, model);
      break;
  }
  const promptLine = view.prompts.length === 1 ? `“${view.prompts[0].length > 90 ? `${view.prompts[0].slice(0, 89)}…` : view.prompts[0]}”` : `${view.prompts.length} prompts`;
  app.replaceChildren(
    h(
      'header',
      { class: 'analyses-header' },
      h('h1', {}, `Sink analysis: ${view.title}`),
      h(
        'p',
        { class: 'meta', 'data-testid': 'analysis-meta' },
        h('strong', {}, model.path.split(/[\\/]/).filter(Boolean).slice(-1)[0] ?? model.path),
        ` · ${model.architecture} · ${model.layers} layers × ${model.heads} heads · ${promptLine} · ${view.origin}`,
      ),
    ),
    ...body,
  );
}

host.listen({
  running: (body) => apply({ type: 'running', body }),
  analysis: (body) => apply({ type: 'analysis', body }),
  analysisError: (body) => apply({ type: 'analysisError', body }),
});

onThemeChange(() => render());

render();
host.notify('ready', { analysisId: state.view?.id ?? null });
