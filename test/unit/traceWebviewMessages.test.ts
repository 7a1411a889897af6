/**
 * The trace panel's messages are validated before the host uses them
 * (src/shared/traceWebviewMessages.ts, called by src/tracePanel.ts): every shape the trace webview
 * sends passes, copied field by field; malformed, oversized or hostile ones are dropped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFromTraceWebviewMessage } from '../../src/protocol/traceMessages';

const traceId = '0123456789abcdef';
const state = { traceId, selected: 4 };
const csv = 'step,sinkRate_all\n0,0.02\n';
const png = 'data:image/png;base64,iVBORw0KGgo=';

describe('trace webview message validation', () => {
  it('accepts every message the trace webview sends', () => {
    const good = [
      { type: 'ready', state: null },
      { type: 'ready', state },
      { type: 'ready', state: { traceId: null, selected: null } },
      { type: 'stateChanged', state },
      { type: 'stateChanged', state: { traceId, selected: null } },
      { type: 'openCheckpoint', traceId, index: 0 },
      { type: 'export', kind: 'csv', name: 'sink-trace-sinklet-checkpoints.csv', data: csv },
      { type: 'export', kind: 'csv', name: 'empty.csv', data: '' },
      { type: 'export', kind: 'png', name: 'sink-trace-sinklet-checkpoints-heatmap.png', data: png },
    ];
    for (const message of good) assert.deepEqual(parseFromTraceWebviewMessage(message), message, JSON.stringify(message));
    // A missing state is no state; extra fields are dropped, not passed on.
    assert.deepEqual(parseFromTraceWebviewMessage({ type: 'ready' }), { type: 'ready', state: null });
    assert.deepEqual(parseFromTraceWebviewMessage({ type: 'stateChanged', state: { ...state, html: '<script>' }, extra: 1 }), { type: 'stateChanged', state });
    assert.deepEqual(parseFromTraceWebviewMessage({ type: 'export', kind: 'csv', name: 'a.csv', data: csv, path: '/etc/passwd' }), { type: 'export', kind: 'csv', name: 'a.csv', data: csv });
  });

  it('drops malformed, out-of-range and hostile messages', () => {
    const bad: unknown[] = [
      null,
      undefined,
      7,
      'ready',
      [],
      {},
      { type: 'nope' },
      { type: 'ready', state: 'x' },
      { type: 'ready', state: { traceId, selected: -1 } },
      { type: 'ready', state: { traceId } },
      { type: 'stateChanged' },
      { type: 'stateChanged', state: { traceId: '../../runs/index', selected: 0 } },
      { type: 'stateChanged', state: { traceId: 'ABCDEF', selected: 0 } },
      { type: 'stateChanged', state: { traceId: 'a'.repeat(65), selected: 0 } },
      { type: 'stateChanged', state: { traceId, selected: 1.5 } },
      { type: 'openCheckpoint', traceId, index: -1 },
      { type: 'openCheckpoint', traceId, index: '0' },
      { type: 'openCheckpoint', traceId: '', index: 0 },
      { type: 'openCheckpoint', index: 0 },
      // The report's JSON export is the report panel's; the trace panel sends PNG and CSV only.
      { type: 'export', kind: 'json', name: 'trace.json' },
      { type: 'export', kind: 'exe', name: 'x.exe', data: 'x' },
      { type: 'export', kind: 'csv', name: 'a.csv' },
      { type: 'export', kind: 'csv', name: '../../.bashrc', data: csv },
      { type: 'export', kind: 'csv', name: 'C:\\Windows\\x.csv', data: csv },
      { type: 'export', kind: 'csv', name: '..', data: csv },
      { type: 'export', kind: 'csv', name: 'a\nb.csv', data: csv },
      { type: 'export', kind: 'csv', name: 'x'.repeat(301), data: csv },
      { type: 'export', kind: 'csv', name: 'a.csv', data: 42 },
      { type: 'export', kind: 'png', name: 'a.png' },
      { type: 'export', kind: 'png', name: 'a.png', data: 'data:text/html;base64,PHNjcmlwdD4=' },
      { type: 'export', kind: 'png', name: 'a.png', data: `data:image/png;base64,${'A'.repeat(64 * 1024 * 1024)}` },
    ];
    for (const message of bad) assert.equal(parseFromTraceWebviewMessage(message), undefined, (JSON.stringify(message) ?? String(message)).slice(0, 200));
  });
});
