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
 * Sliding-window layers (model.slidingWindowLayers) are marked wherever layers are listed. The
 * shown analysis is kept with setState, so a restored panel draws it again by itself.
 */
import { analysesHostChecks, analysesWebviewChecks, type AnalysesHostSide, type AnalysesWebviewSide, type AnalysesWebviewState } from '../../src/protocol/channels/analyses';
import { h } from '../kit/dom';
import { connectToHost } from '../kit/messageClient';
import { onThemeChange } from '../kit/theme';
import { ablationView } from './ablationView';
import { destroyCharts } from './analysisCharts';
import { batchView } from './batchView';
import { bosView } from './bosView';
import { substitutionView } from './substitutionView';

const { host, getState, setState: keepState } = connectToHost<AnalysesWebviewSide, AnalysesHostSide, AnalysesWebviewState>({ webview: analysesWebviewChecks, host: analysesHostChecks });

const app = document.getElementById('app')!;
let state: AnalysesWebviewState = { view: null, depth: null, ...(getState() ?? {}) };
let status: { kind: 'running' | 'error'; text: string } | null = null;

function setState(patch: Partial<AnalysesWebviewState>): void {
  state = { ...state, ...patch };
  keepState(state);
  host.notify('stateChanged', { analysisId: state.view?.id ?? null });
}

function render(): void {
  destroyCharts();
  const view = state.view;
  if (!view) {
    document.body.dataset.analysisState = status?.kind ?? 'empty';
    app.replaceChildren(
      status
        ? h('p', { class: status.kind === 'error' ? 'error' : 'progress', 'data-testid': 'analysis-status' }, status.text)
        : h('p', { class: 'placeholder' }, 'Run Sink Lens: Compare Without BOS, Analyze Prompts in File / Selection, Ablate Each Head of Layer… or First-Token Substitution, or select heads in the Sink Report\'s grid and Ablate Selected Heads.'),
    );
    return;
  }
  const { result } = view;
  const model = result.model;
  document.body.dataset.analysisState = status?.kind ?? 'done';
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
      status ? h('p', { class: status.kind === 'error' ? 'error' : 'progress', 'data-testid': 'analysis-status' }, status.text) : null,
    ),
    ...body,
  );
}

host.listen({
  running: ({ title }) => {
    status = { kind: 'running', text: `Running: ${title}…` };
    render();
  },
  analysis: (view) => {
    status = null;
    setState({ view, depth: state.view?.id === view.id ? state.depth : null });
    render();
  },
  analysisError: ({ error }) => {
    status = { kind: 'error', text: error.message };
    render();
  },
});

onThemeChange(() => render());

render();
host.notify('ready', { analysisId: getState()?.view?.id ?? null });
