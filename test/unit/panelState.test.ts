/**
 * The report and analyses panels' state as pure functions of what the host says: a message about
 * another run replaces the state whole (nothing of the previous run survives), progress of the run
 * starting updates it, anything else is ignored; a kept view is used only for the run it was kept for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisView, RunningAnalysis } from '../../src/protocol/channels/analyses';
import type { RunAsked } from '../../src/protocol/channels/report';
import { toReportArrays, type RunReport } from '../../src/protocol/runReport';
import { analysisState, nextAnalysesShown, type AnalysesShown } from '../../webview/analyses/analysesState';
import { focusedView, freshViewState, nextShown, NOTHING_SHOWN, runState, shownRunId, viewStateFor, type RunMessage, type Shown } from '../../webview/report/reportState';
import { fakeReport } from '../support/fakeReport';

const asked = (runId: string): RunAsked => ({ runId, prompt: `prompt of ${runId}`, source: 'p.py:3', modelPath: '/models/sinklet', demoModel: true });
const cancelled = { category: 'cancelled' as const, code: 'cancelled', message: 'the analysis was cancelled' };

/** Feeds messages one after the other; an ignored one leaves the state as it was. */
function feed(messages: RunMessage[], from: Shown = NOTHING_SHOWN): { shown: Shown; replaced: boolean[] } {
  let shown = from;
  const replaced: boolean[] = [];
  for (const message of messages) {
    const next = nextShown(shown, message);
    replaced.push(next?.replaced ?? false);
    if (next) shown = next.shown;
  }
  return { shown, replaced };
}

describe('the Sink Report state', () => {
  const report = toReportArrays(fakeReport());
  const runA: RunReport = { runId: 'run-a', report };
  const runB: RunReport = { runId: 'run-b', report };

  it('a run starts, gets on, and arrives whole in one message; the next run replaces it whole', () => {
    const messages: RunMessage[] = [
      { type: 'runStarted', body: asked('run-a') },
      { type: 'runProgress', body: { runId: 'run-a', message: 'loading the model…' } },
      { type: 'runReport', body: runA },
    ];
    const a = feed(messages);
    assert.deepEqual(a.replaced, [true, false, true]);
    assert.equal(a.shown.kind, 'run');
    assert.equal(runState(a.shown), 'done');
    if (a.shown.kind !== 'run') return;
    assert.equal(a.shown.asked?.prompt, 'prompt of run-a', 'what was asked stays with its run');
    assert.equal(a.shown.run.report, report, 'the report as it arrived, not rebuilt');
    // The shading: attention received averaged over the layers (fakeReport's rows).
    assert.deepEqual(Array.from(a.shown.run.meanReceived!), [0.625, 0.1875, 0.1875]);
    assert.equal(a.shown.run.verdict.headline, 'Heads sink onto the first token without a lasting high-norm P0 state');
    const b = feed([{ type: 'runStarted', body: asked('run-b') }], a.shown);
    assert.deepEqual(b.shown, { kind: 'starting', asked: asked('run-b'), progress: null }, 'nothing of run A is left');
  });

  it('a report without attention.received (stored by an earlier version) shows without shading', () => {
    const { received: _received, ...attention } = report.attention;
    const { shown } = feed([{ type: 'runReport', body: { runId: 'run-a', report: { ...report, attention } } }]);
    assert.ok(shown.kind === 'run' && shown.run.meanReceived === null);
  });

  it('a message about a run that is not shown is ignored (the user moved on)', () => {
    const { shown } = feed([{ type: 'runReport', body: runB }]);
    for (const message of [
      { type: 'runProgress', body: { runId: 'run-a', message: 'x' } },
      { type: 'runError', body: { runId: 'run-a', error: cancelled } },
    ] as RunMessage[]) {
      assert.equal(nextShown(shown, message), null, message.type);
    }
  });

  it('cancelled while loading the model: the panel says so with what was asked, and no earlier run under it', () => {
    const done = feed([{ type: 'runReport', body: runA }]).shown;
    const { shown } = feed(
      [
        { type: 'runStarted', body: asked('run-b') },
        { type: 'runProgress', body: { runId: 'run-b', message: 'loading the model…' } },
        { type: 'runError', body: { runId: 'run-b', error: cancelled } },
      ],
      done,
    );
    assert.deepEqual(shown, { kind: 'ended', asked: asked('run-b'), runId: 'run-b', error: cancelled });
    assert.equal(runState(shown), 'cancelled');
    assert.equal(shownRunId(shown), 'run-b');
  });

  it('a kept view belongs to one run: kept (within the run) for it, dropped for any other', () => {
    const kept = { runId: 'run-a', layer: 1, head: 1, focusedToken: 2, mapOpen: true, selectedHeads: [{ layer: 1, head: 0 }] };
    assert.deepEqual(viewStateFor('run-a', report, kept), kept);
    assert.deepEqual(viewStateFor('run-b', report, kept), freshViewState('run-b'), 'another run starts with nothing selected, no token, no map');
    assert.deepEqual(viewStateFor('run-a', report, null), freshViewState('run-a'));
    const outside = viewStateFor('run-a', report, {
      ...kept,
      layer: 7,
      focusedToken: 9,
      selectedHeads: [
        { layer: 0, head: 5 },
        { layer: 0, head: 1 },
      ],
    });
    assert.deepEqual(outside, { runId: 'run-a', layer: 0, head: 1, focusedToken: null, mapOpen: false, selectedHeads: [{ layer: 0, head: 1 }] });
  });

  it("the host's focus applies to the run shown only, within it", () => {
    const view = freshViewState('run-a');
    assert.deepEqual(focusedView(view, { runId: 'run-a', layer: 1, head: 0, token: 2 }, report), { ...view, layer: 1, head: 0, mapOpen: true, focusedToken: 2 });
    assert.equal(focusedView(view, { runId: 'run-b', token: 1 }, report), view);
    assert.deepEqual(focusedView(view, { runId: 'run-a', layer: 5, token: 3 }, report), view, 'a layer or token the run does not have is not focused');
  });
});

describe('the Sink Analyses state', () => {
  const running = (id: string): RunningAnalysis => ({ id, kind: 'batch', title: 'many prompts', origin: 'prompts.txt', prompts: 200, modelPath: '/models/sinklet' });
  const view = (id: string) => ({ id, title: 'first-token substitution' }) as AnalysisView;

  it('a cancelled analysis shows what was asked, never the previous result', () => {
    let shown: AnalysesShown = { kind: 'done', view: view('sub-1') };
    shown = nextAnalysesShown(shown, { type: 'running', body: running('batch-2') })!;
    assert.deepEqual(shown, { kind: 'running', running: running('batch-2') });
    shown = nextAnalysesShown(shown, { type: 'analysisError', body: { id: 'batch-2', error: { ...cancelled, message: 'Cancelled.' } } })!;
    assert.equal(shown.kind, 'ended');
    assert.equal(analysisState(shown), 'cancelled');
    assert.ok(!JSON.stringify(shown).includes('sub-1'));
  });

  it('results and errors of another analysis are ignored', () => {
    const shown: AnalysesShown = { kind: 'running', running: running('batch-2') };
    assert.equal(nextAnalysesShown(shown, { type: 'analysis', body: view('sub-1') }), null);
    assert.equal(nextAnalysesShown(shown, { type: 'analysisError', body: { id: 'sub-1', error: cancelled } }), null);
    assert.deepEqual(nextAnalysesShown(shown, { type: 'analysis', body: view('batch-2') }), { kind: 'done', view: view('batch-2') });
  });
});
