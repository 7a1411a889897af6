/**
 * The trace panel's messages are checked where they enter the host (the trace channel,
 * src/protocol/channels/trace.ts): every shape the trace webview sends reaches the controller,
 * copied field by field; malformed, oversized or hostile ones are dropped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceHostChecks, traceWebviewChecks, type TraceHostSide, type TraceWebviewSide } from '../../src/protocol/channels/trace';
import { Endpoint, type Envelope } from '../../src/protocol/rpc';

const traceId = '0123456789abcdef';
const state = { traceId, selected: 4 };
const csv = 'step,sinkRate_all\n0,0.02\n';
const png = 'data:image/png;base64,iVBORw0KGgo=';

function host() {
  const heard: { type: string; [field: string]: unknown }[] = [];
  const dropped: string[] = [];
  const sent: Envelope[] = [];
  const endpoint = new Endpoint<TraceHostSide, TraceWebviewSide>({
    local: traceHostChecks,
    remote: traceWebviewChecks,
    send: (envelope) => sent.push(envelope),
    onViolation: (violation) => dropped.push(violation.message),
  });
  const event = (type: string) => (body: object) => void heard.push({ type, ...body });
  endpoint.serve({ export: (params) => (heard.push({ type: 'export', ...params }), new Promise<never>(() => undefined)) });
  endpoint.listen({ ready: event('ready'), stateChanged: event('stateChanged'), openCheckpoint: event('openCheckpoint') });
  return { heard, dropped, sent, receive: (message: unknown) => endpoint.receive(message) };
}

const event = (type: string, body: object) => ({ kind: 'event', type, body });
const exportRequest = (params: object) => ({ kind: 'request', id: 9, type: 'export', params });

describe('trace webview messages, checked where they enter the host', () => {
  it('passes every message the trace webview sends, copied field by field', () => {
    const good: [object, object][] = [
      [event('ready', { state: null }), { type: 'ready', state: null }],
      [event('ready', { state }), { type: 'ready', state }],
      [event('ready', { state: { traceId: null, selected: null } }), { type: 'ready', state: { traceId: null, selected: null } }],
      [event('stateChanged', { state }), { type: 'stateChanged', state }],
      [event('stateChanged', { state: { traceId, selected: null } }), { type: 'stateChanged', state: { traceId, selected: null } }],
      [event('openCheckpoint', { traceId, index: 0 }), { type: 'openCheckpoint', traceId, index: 0 }],
      [exportRequest({ kind: 'csv', name: 'sink-trace-sinklet-checkpoints.csv', data: csv }), { type: 'export', kind: 'csv', name: 'sink-trace-sinklet-checkpoints.csv', data: csv }],
      [exportRequest({ kind: 'csv', name: 'empty.csv', data: '' }), { type: 'export', kind: 'csv', name: 'empty.csv', data: '' }],
      [exportRequest({ kind: 'png', name: 'sink-trace-sinklet-checkpoints-heatmap.png', data: png }), { type: 'export', kind: 'png', name: 'sink-trace-sinklet-checkpoints-heatmap.png', data: png }],
      // A missing state is no state; extra fields are dropped, not passed on.
      [event('ready', {}), { type: 'ready', state: null }],
      [event('stateChanged', { state: { ...state, html: '<script>' }, extra: 1 }), { type: 'stateChanged', state }],
      [exportRequest({ kind: 'csv', name: 'a.csv', data: csv, path: '/etc/passwd' }), { type: 'export', kind: 'csv', name: 'a.csv', data: csv }],
    ];
    for (const [message, expected] of good) {
      const check = host();
      check.receive(message);
      assert.deepEqual(check.dropped, [], JSON.stringify(message));
      assert.deepEqual(check.heard, [expected], JSON.stringify(message));
    }
  });

  it('drops malformed, out-of-range and hostile messages', () => {
    const bad: unknown[] = [
      null,
      undefined,
      7,
      'ready',
      [],
      {},
      event('nope', {}),
      event('ready', { state: 'x' }),
      event('ready', { state: { traceId, selected: -1 } }),
      event('ready', { state: { traceId } }),
      event('stateChanged', {}),
      event('stateChanged', { state: { traceId: '../../runs/index', selected: 0 } }),
      event('stateChanged', { state: { traceId: 'ABCDEF', selected: 0 } }),
      event('stateChanged', { state: { traceId: 'a'.repeat(65), selected: 0 } }),
      event('stateChanged', { state: { traceId, selected: 1.5 } }),
      event('openCheckpoint', { traceId, index: -1 }),
      event('openCheckpoint', { traceId, index: '0' }),
      event('openCheckpoint', { traceId: '', index: 0 }),
      event('openCheckpoint', { index: 0 }),
      // The report's JSON export is the report panel's; the trace panel sends PNG and CSV only.
      exportRequest({ kind: 'json', name: 'trace.json' }),
      exportRequest({ kind: 'exe', name: 'x.exe', data: 'x' }),
      exportRequest({ kind: 'csv', name: 'a.csv' }),
      exportRequest({ kind: 'csv', name: '../../.bashrc', data: csv }),
      exportRequest({ kind: 'csv', name: 'C:\\Windows\\x.csv', data: csv }),
      exportRequest({ kind: 'csv', name: '..', data: csv }),
      exportRequest({ kind: 'csv', name: 'a\nb.csv', data: csv }),
      exportRequest({ kind: 'csv', name: 'x'.repeat(301), data: csv }),
      exportRequest({ kind: 'csv', name: 'a.csv', data: 42 }),
      exportRequest({ kind: 'png', name: 'a.png' }),
      exportRequest({ kind: 'png', name: 'a.png', data: 'data:text/html;base64,PHNjcmlwdD4=' }),
      exportRequest({ kind: 'png', name: 'a.png', data: `data:image/png;base64,${'A'.repeat(64 * 1024 * 1024)}` }),
    ];
    for (const message of bad) {
      const check = host();
      check.receive(message);
      const shown = (JSON.stringify(message) ?? String(message)).slice(0, 200);
      assert.deepEqual(check.heard, [], shown);
      assert.equal(check.dropped.length, 1, shown);
    }
  });
});
