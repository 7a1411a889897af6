/**
 * What the host sends a webview is checked where it arrives in the webview (the same endpoint, the
 * webview's side of each channel): a run's parts as the worker builds them pass; a part that is not
 * one (a missing verdict, numbers that are not typed arrays, an unknown event) is dropped and said.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportHostChecks, reportWebviewChecks, type ReportHostSide, type ReportWebviewSide } from '../../src/protocol/channels/report';
import { traceHostChecks, traceWebviewChecks, type TraceHostSide, type TraceWebviewSide } from '../../src/protocol/channels/trace';
import { Endpoint } from '../../src/protocol/rpc';
import { toRunLayers, toRunSummary } from '../../src/protocol/runParts';
import { fakeReport } from '../support/fakeReport';

function reportWebview() {
  const heard: string[] = [];
  const dropped: string[] = [];
  const endpoint = new Endpoint<ReportWebviewSide, ReportHostSide>({
    local: reportWebviewChecks,
    remote: reportHostChecks,
    send: () => undefined,
    onViolation: (violation) => dropped.push(violation.message),
  });
  const note = (type: string) => () => void heard.push(type);
  endpoint.listen({ runBegin: note('runBegin'), runLayer: note('runLayer'), runReceived: note('runReceived'), runEnd: note('runEnd'), runError: note('runError'), focus: note('focus') });
  return { heard, dropped, receive: (type: string, body: unknown) => endpoint.receive(structuredClone({ kind: 'event', type, body })) };
}

describe('host messages, checked where they arrive in the webview', () => {
  it("a run's parts as the worker builds them pass", () => {
    const { heard, dropped, receive } = reportWebview();
    const report = fakeReport();
    receive('runBegin', toRunSummary('r1', report));
    for (const layer of toRunLayers('r1', report)) receive('runLayer', layer);
    receive('runReceived', { runId: 'r1', layer: 0, received: new Float32Array(3) });
    receive('runEnd', { runId: 'r1' });
    receive('runError', { runId: null, error: { category: 'cancelled', code: 'cancelled', message: 'the analysis was cancelled' } });
    receive('focus', { runId: 'r1', layer: 1 });
    assert.deepEqual(dropped, []);
    assert.deepEqual(heard, ['runBegin', 'runLayer', 'runLayer', 'runReceived', 'runEnd', 'runError', 'focus']);
  });

  it('what is not one is dropped, and says where it failed', () => {
    const { heard, dropped, receive } = reportWebview();
    const summary = toRunSummary('r1', fakeReport());
    const { verdict: _verdict, ...withoutVerdict } = summary;
    receive('runBegin', withoutVerdict);
    receive('runBegin', { ...summary, norms: summary.norms.map((row) => Array.from(row)) });
    receive('runReceived', { runId: 'r1', layer: 0, received: [0.5, 0.25, 0.25] });
    receive('runError', { runId: 'r1', error: { category: 'fatal', code: 'x', message: 'y' } });
    receive('focus', { runId: 'r1', head: -2 });
    receive('runDone', { runId: 'r1' });
    assert.deepEqual(heard, []);
    assert.equal(dropped.length, 6);
    assert.match(dropped[0], /runBegin\.verdict: expected an object/);
    assert.match(dropped[1], /runBegin\.norms\[0\]: expected a Float32Array/);
  });

  it('a field a document adds is kept on the way (documents may grow); one a message adds is not', () => {
    let received: unknown;
    const endpoint = new Endpoint<ReportWebviewSide, ReportHostSide>({ local: reportWebviewChecks, remote: reportHostChecks, send: () => undefined });
    endpoint.listen({
      runBegin: (summary) => (received = summary),
      runLayer: () => undefined,
      runReceived: () => undefined,
      runEnd: (body) => (received = body),
      runError: () => undefined,
      focus: () => undefined,
    });
    const summary = toRunSummary('r1', fakeReport());
    endpoint.receive({ kind: 'event', type: 'runBegin', body: { ...summary, model: { ...summary.model, source: 'huggingface' } } });
    assert.equal((received as { model: { source?: string } }).model.source, 'huggingface');
    endpoint.receive({ kind: 'event', type: 'runEnd', body: { runId: 'r1', extra: '<script>' } });
    assert.deepEqual(received, { runId: 'r1' });
  });

  it('a trace view whose document is not a trace@1 is dropped', () => {
    const dropped: string[] = [];
    const endpoint = new Endpoint<TraceWebviewSide, TraceHostSide>({
      local: traceWebviewChecks,
      remote: traceHostChecks,
      send: () => undefined,
      onViolation: (violation) => dropped.push(violation.message),
    });
    let shown = 0;
    endpoint.listen({ trace: () => void shown++, traceError: () => undefined, select: () => undefined });
    const trace = { schema: 'sink-lens/trace@1', prompts: ['a'], epsilon: 0.3, bos: true, checkpoints: [] };
    endpoint.receive({ kind: 'event', type: 'trace', body: { traceId: 'abc', name: 'demo', folder: '/x', total: 3, done: false, trace } });
    endpoint.receive({ kind: 'event', type: 'trace', body: { traceId: 'abc', name: 'demo', folder: '/x', total: 3, done: false, trace: { ...trace, schema: 'sink-lens/trace@2' } } });
    assert.equal(shown, 1);
    assert.match(dropped.join('\n'), /trace\.trace\.schema: expected one of "sink-lens\/trace@1"/);
  });
});
