/**
 * What the host sends a webview is checked where it arrives in the webview (the same endpoint, the
 * webview's side of each channel): a run's report as the worker sends it passes, typed arrays and
 * all; one that is not (numbers that are not typed arrays where they are declared, a missing field,
 * an unknown event) is dropped and said.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportHostChecks, reportWebviewChecks, type ReportHostSide, type ReportWebviewSide } from '../../src/protocol/channels/report';
import { traceHostChecks, traceWebviewChecks, type TraceHostSide, type TraceWebviewSide } from '../../src/protocol/channels/trace';
import { Endpoint } from '../../src/protocol/rpc';
import { toReportArrays, type RunReport } from '../../src/protocol/runReport';
import { fakeReport } from '../support/fakeReport';

function reportWebview() {
  const heard: string[] = [];
  const dropped: string[] = [];
  let report: RunReport | undefined;
  const endpoint = new Endpoint<ReportWebviewSide, ReportHostSide>({
    local: reportWebviewChecks,
    remote: reportHostChecks,
    send: () => undefined,
    onViolation: (violation) => dropped.push(violation.message),
  });
  const note = (type: string) => () => void heard.push(type);
  endpoint.listen({ runReport: (body) => (heard.push('runReport'), (report = body)), runError: note('runError'), focus: note('focus') });
  return { heard, dropped, report: () => report, receive: (type: string, body: unknown) => endpoint.receive(structuredClone({ kind: 'event', type, body })) };
}

const runReport = (): RunReport => ({ runId: 'r1', report: toReportArrays(fakeReport()) });

describe('host messages, checked where they arrive in the webview', () => {
  it("a run's report as the worker sends it passes, its arrays still typed after the structured clone", () => {
    const { heard, dropped, report, receive } = reportWebview();
    receive('runReport', runReport());
    receive('runError', { runId: null, error: { category: 'cancelled', code: 'cancelled', message: 'the analysis was cancelled' } });
    receive('focus', { runId: 'r1', layer: 1 });
    assert.deepEqual(dropped, []);
    assert.deepEqual(heard, ['runReport', 'runError', 'focus']);
    const { attention, residual, mlp } = report()!.report;
    assert.ok(residual.norms[0] instanceof Float32Array && attention.firstTokenAttention[1][0] instanceof Float32Array && attention.received![1] instanceof Float32Array);
    assert.deepEqual(Array.from(attention.received![1]), fakeReport().attention.received![1]);
    assert.ok(mlp.layers[0].norms instanceof Float32Array);
  });

  it('a report without attention.received (stored by an earlier version) and a layer without MLP norms pass', () => {
    const { dropped, report, receive } = reportWebview();
    const { received: _received, ...attention } = runReport().report.attention;
    const old = { ...runReport().report, attention, mlp: { layers: [{ layer: 0, norms: null }] } };
    receive('runReport', { runId: 'r1', report: old });
    assert.deepEqual(dropped, []);
    assert.equal(report()!.report.attention.received, undefined);
    assert.equal(report()!.report.mlp.layers[0].norms, null);
  });

  it('what is not one is dropped, and says where it failed', () => {
    const { heard, dropped, receive } = reportWebview();
    const { report } = runReport();
    receive('runReport', { runId: 'r1', report: { ...report, residual: { ...report.residual, norms: report.residual.norms.map((row) => Array.from(row)) } } });
    receive('runReport', { runId: 'r1', report: { ...report, attention: { ...report.attention, received: [[0.5, 0.25, 0.25]] } } });
    receive('runReport', { runId: 'r1', report: { ...report, mlp: { layers: [{ layer: 0, norms: [1, 1, 1] }] } } });
    const { tokens: _tokens, ...withoutTokens } = report;
    receive('runReport', { runId: 'r1', report: withoutTokens });
    receive('runError', { runId: 'r1', error: { category: 'fatal', code: 'x', message: 'y' } });
    receive('focus', { runId: 'r1', head: -2 });
    receive('runDone', { runId: 'r1' });
    assert.deepEqual(heard, []);
    assert.equal(dropped.length, 7);
    assert.match(dropped[0], /runReport\.report\.residual\.norms\[0\]: expected a Float32Array/);
    assert.match(dropped[1], /runReport\.report\.attention\.received\[0\]: expected a Float32Array/);
    assert.match(dropped[2], /runReport\.report\.mlp\.layers\[0\]\.norms: expected a Float32Array/);
    assert.match(dropped[3], /runReport\.report\.tokens: expected/);
  });

  it('a field a document adds is kept on the way (documents may grow); one a message adds is not', () => {
    let received: unknown;
    const endpoint = new Endpoint<ReportWebviewSide, ReportHostSide>({ local: reportWebviewChecks, remote: reportHostChecks, send: () => undefined });
    endpoint.listen({ runReport: (body) => (received = body), runProgress: (body) => (received = body), runError: () => undefined, focus: () => undefined });
    const { report } = runReport();
    endpoint.receive({ kind: 'event', type: 'runReport', body: { runId: 'r1', report: { ...report, model: { ...report.model, source: 'huggingface' } } } });
    assert.equal((received as { report: { model: { source?: string } } }).report.model.source, 'huggingface');
    assert.deepEqual((received as { report: Record<string, unknown> }).report.futureField, { x: 1 });
    endpoint.receive({ kind: 'event', type: 'runProgress', body: { runId: 'r1', message: 'loading', extra: '<script>' } });
    assert.deepEqual(received, { runId: 'r1', message: 'loading' });
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
