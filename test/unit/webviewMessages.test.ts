/**
 * Messages from the webview are validated before the host uses them (src/shared/webviewMessages.ts,
 * called by src/sinkPanel.ts): every shape the webview sends passes; malformed, oversized or
 * hostile ones are dropped. Also the workspace-trust rule for settings (src/trustedSetting.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFromWebviewMessage } from '../../src/protocol/reportMessages';
import { settingForTrust } from '../../src/extension/settings/trustedSetting';

const state = { runId: 'lx3k2a-abc123', layer: 1, head: -1, focusedToken: null, mapOpen: true };

describe('webview message validation', () => {
  it('accepts every message the webview sends', () => {
    const good = [
      { type: 'ready', state: null },
      { type: 'ready', state },
      { type: 'stateChanged', state },
      { type: 'requestAttentionMap', requestId: 3, runId: 'lx3k2a-abc123', layer: 0, head: -1 },
      { type: 'export', kind: 'json', name: 'sink-report-lx3k2a-abc123.json', data: undefined },
      { type: 'export', kind: 'csv', name: 'sink-norms-x.csv', data: 'a,b\n1,2' },
      { type: 'export', kind: 'png', name: 'sink-norms-x.png', data: 'data:image/png;base64,iVBORw0KGgo=' },
      { type: 'revealToken', runId: 'lx3k2a-abc123', token: 7 },
      { type: 'command', command: 'rerun' },
      { type: 'command', command: 'selectModel' },
      { type: 'command', command: 'openSettings' },
      { type: 'ablateHeads', requestId: 4, runId: 'lx3k2a-abc123', heads: [{ layer: 0, head: 1 }, { layer: 1, head: 0 }] },
      { type: 'stateChanged', state: { ...state, selectedHeads: [] } },
      { type: 'stateChanged', state: { ...state, selectedHeads: [{ layer: 2, head: 5 }] } },
    ];
    for (const message of good) assert.ok(parseFromWebviewMessage(message), JSON.stringify(message));
    assert.deepEqual(parseFromWebviewMessage({ type: 'ready', state: { ...state, extra: '<script>' } }), { type: 'ready', state });
    // The heads are copied field by field: nothing else rides along to the worker.
    assert.deepEqual(parseFromWebviewMessage({ type: 'ablateHeads', requestId: 4, runId: 'r', heads: [{ layer: 0, head: 1, mask: 'x' }], extra: 1 }), {
      type: 'ablateHeads',
      requestId: 4,
      runId: 'r',
      heads: [{ layer: 0, head: 1 }],
    });
  });

  it('drops malformed, out-of-range and hostile messages', () => {
    const bad: unknown[] = [
      null,
      undefined,
      42,
      'ready',
      [],
      {},
      { type: 'nope' },
      { type: 'ready', state: 'x' },
      { type: 'ready', state: { ...state, layer: -1 } },
      { type: 'stateChanged', state: { ...state, runId: '../../etc/passwd' } },
      { type: 'stateChanged' },
      { type: 'requestAttentionMap', requestId: 1, runId: 'r', layer: 1.5, head: 0 },
      { type: 'requestAttentionMap', requestId: 1, runId: 'r', layer: 0, head: -2 },
      { type: 'requestAttentionMap', requestId: '1', runId: 'r', layer: 0, head: 0 },
      { type: 'requestAttentionMap', requestId: 1, runId: 'r', layer: Number.NaN, head: 0 },
      { type: 'requestAttentionMap', requestId: 1, runId: 'r', layer: 1e12, head: 0 },
      { type: 'export', kind: 'exe', name: 'x.exe' },
      { type: 'export', kind: 'csv', name: '../../.bashrc', data: 'x' },
      { type: 'export', kind: 'csv', name: '/etc/passwd', data: 'x' },
      { type: 'export', kind: 'csv', name: '', data: 'x' },
      { type: 'export', kind: 'png', name: 'a.png', data: 'data:text/html;base64,PHNjcmlwdD4=' },
      { type: 'export', kind: 'png', name: 'a.png' },
      { type: 'export', kind: 'csv', name: 'a.csv' }, // a CSV is built by the webview: no data, nothing to save
      { type: 'export', kind: 'csv', name: 'a.csv', data: { toString: () => 'x' } },
      { type: 'revealToken', runId: 'r', token: -1 },
      { type: 'revealToken', runId: 'a b', token: 1 },
      { type: 'command', command: 'workbench.action.terminal.new' },
      { type: 'ablateHeads', requestId: 1, runId: 'r', heads: [] },
      { type: 'ablateHeads', requestId: 1, runId: 'r' },
      { type: 'ablateHeads', requestId: 1, runId: 'r', heads: { 0: { layer: 0, head: 0 } } },
      { type: 'ablateHeads', requestId: 1, runId: 'r', heads: [{ layer: 0 }] },
      { type: 'ablateHeads', requestId: 1, runId: 'r', heads: [{ layer: 0, head: -1 }] },
      { type: 'ablateHeads', requestId: 1, runId: 'r', heads: [{ layer: '0', head: 1 }] },
      { type: 'ablateHeads', requestId: 1, runId: 'r', heads: [[0, 1]] },
      { type: 'ablateHeads', requestId: 1, runId: 'r', heads: Array.from({ length: 20_000 }, () => ({ layer: 0, head: 0 })) },
      { type: 'ablateHeads', requestId: -1, runId: 'r', heads: [{ layer: 0, head: 0 }] },
      { type: 'ablateHeads', requestId: 1, runId: '../r', heads: [{ layer: 0, head: 0 }] },
      { type: 'stateChanged', state: { ...state, selectedHeads: [{ layer: 0.5, head: 0 }] } },
      { type: 'stateChanged', state: { ...state, selectedHeads: 'L0H1' } },
      { type: 'command', command: 'rerun', args: ['x'] }, // extra fields are dropped, not used
    ];
    for (const message of bad.slice(0, -1)) assert.equal(parseFromWebviewMessage(message), undefined, JSON.stringify(message) ?? String(message));
    assert.deepEqual(parseFromWebviewMessage(bad.at(-1)), { type: 'command', command: 'rerun' });
  });
});

describe('settings under workspace trust', () => {
  const inspected = { defaultValue: '', globalValue: '/home/me/model.onnx', workspaceValue: '/tmp/evil/model.onnx', workspaceFolderValue: undefined };
  it('a trusted workspace may set the model', () => {
    assert.equal(settingForTrust(inspected, true, ''), '/tmp/evil/model.onnx');
  });
  it('an untrusted workspace cannot: the user\'s value or the default is used', () => {
    assert.equal(settingForTrust(inspected, false, ''), '/home/me/model.onnx');
    assert.equal(settingForTrust({ defaultValue: '', workspaceFolderValue: '/tmp/evil' }, false, ''), '');
    assert.equal(settingForTrust(undefined, false, 'auto'), 'auto');
  });
});
