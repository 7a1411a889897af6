/**
 * Messages from the Sink Report webview are checked where they enter the host (the report channel,
 * src/protocol/channels/report.ts, through the endpoint every panel uses): every shape the webview
 * sends reaches the controller, copied field by field; malformed, oversized or hostile ones are
 * dropped (a request among them is answered with an error, never run). Also the workspace-trust
 * rule for settings (src/extension/settings/trustedSetting.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportHostChecks, reportWebviewChecks, type ReportHostSide, type ReportWebviewSide } from '../../src/protocol/channels/report';
import { Endpoint, type Envelope } from '../../src/protocol/rpc';
import { settingForTrust } from '../../src/extension/settings/trustedSetting';

const state = { runId: 'lx3k2a-abc123', layer: 1, head: -1, focusedToken: null, mapOpen: true };

/** The host's end of the channel, recording what reaches the controller and what is dropped. */
function host() {
  const heard: { type: string; [field: string]: unknown }[] = [];
  const dropped: string[] = [];
  const sent: Envelope[] = [];
  const endpoint = new Endpoint<ReportHostSide, ReportWebviewSide>({
    local: reportHostChecks,
    remote: reportWebviewChecks,
    send: (envelope) => sent.push(envelope),
    onViolation: (violation) => dropped.push(violation.message),
  });
  const event = (type: string) => (body: object) => void heard.push({ type, ...body });
  const request = (type: string) => (params: object) => (heard.push({ type, ...params }), new Promise<never>(() => undefined));
  endpoint.serve({ attentionMap: request('attentionMap'), ablateHeads: request('ablateHeads'), export: request('export') });
  endpoint.listen({ ready: event('ready'), stateChanged: event('stateChanged'), revealToken: event('revealToken'), command: event('command') });
  return { heard, dropped, sent, receive: (message: unknown) => endpoint.receive(message) };
}

const event = (type: string, body: object) => ({ kind: 'event', type, body });
const request = (type: string, params: object) => ({ kind: 'request', id: 3, type, params });

describe('report webview messages, checked where they enter the host', () => {
  it('passes every message the webview sends, copied field by field', () => {
    const good: [object, object][] = [
      [event('ready', { state: null }), { type: 'ready', state: null }],
      [event('ready', { state }), { type: 'ready', state }],
      [event('ready', {}), { type: 'ready', state: null }],
      [event('stateChanged', { state }), { type: 'stateChanged', state }],
      [event('stateChanged', { state: { ...state, selectedHeads: [] } }), { type: 'stateChanged', state: { ...state, selectedHeads: [] } }],
      [event('stateChanged', { state: { ...state, selectedHeads: [{ layer: 2, head: 5 }] } }), { type: 'stateChanged', state: { ...state, selectedHeads: [{ layer: 2, head: 5 }] } }],
      [request('attentionMap', { runId: 'lx3k2a-abc123', layer: 0, head: -1 }), { type: 'attentionMap', runId: 'lx3k2a-abc123', layer: 0, head: -1 }],
      [request('export', { kind: 'json', name: 'sink-report-lx3k2a-abc123.json' }), { type: 'export', kind: 'json', name: 'sink-report-lx3k2a-abc123.json' }],
      [request('export', { kind: 'csv', name: 'sink-norms-x.csv', data: 'a,b\n1,2' }), { type: 'export', kind: 'csv', name: 'sink-norms-x.csv', data: 'a,b\n1,2' }],
      [
        request('export', { kind: 'png', name: 'sink-norms-x.png', data: 'data:image/png;base64,iVBORw0KGgo=' }),
        { type: 'export', kind: 'png', name: 'sink-norms-x.png', data: 'data:image/png;base64,iVBORw0KGgo=' },
      ],
      [event('revealToken', { runId: 'lx3k2a-abc123', token: 7 }), { type: 'revealToken', runId: 'lx3k2a-abc123', token: 7 }],
      [event('command', { command: 'rerun' }), { type: 'command', command: 'rerun' }],
      [event('command', { command: 'selectModel' }), { type: 'command', command: 'selectModel' }],
      [event('command', { command: 'openSettings' }), { type: 'command', command: 'openSettings' }],
      [
        request('ablateHeads', {
          runId: 'lx3k2a-abc123',
          heads: [
            { layer: 0, head: 1 },
            { layer: 1, head: 0 },
          ],
        }),
        {
          type: 'ablateHeads',
          runId: 'lx3k2a-abc123',
          heads: [
            { layer: 0, head: 1 },
            { layer: 1, head: 0 },
          ],
        },
      ],
      // Extra fields are dropped: nothing else rides along (to the worker, in the heads' case).
      [event('ready', { state: { ...state, extra: '<script>' } }), { type: 'ready', state }],
      [request('ablateHeads', { runId: 'r', heads: [{ layer: 0, head: 1, mask: 'x' }], extra: 1 }), { type: 'ablateHeads', runId: 'r', heads: [{ layer: 0, head: 1 }] }],
      [event('command', { command: 'rerun', args: ['x'] }), { type: 'command', command: 'rerun' }],
    ];
    for (const [message, expected] of good) {
      // One endpoint per message keeps the records apart.
      const check = host();
      check.receive(message);
      assert.deepEqual(check.dropped, [], JSON.stringify(message));
      assert.deepEqual(check.heard, [expected], JSON.stringify(message));
    }
  });

  it('drops malformed, out-of-range and hostile messages; a request among them gets an error, never runs', () => {
    const bad: unknown[] = [
      null,
      undefined,
      42,
      'ready',
      [],
      {},
      { type: 'ready', state: null }, // the old flat shape: not a channel message
      event('nope', {}),
      event('ready', { state: 'x' }),
      event('ready', { state: { ...state, layer: -1 } }),
      event('stateChanged', { state: { ...state, runId: '../../etc/passwd' } }),
      event('stateChanged', {}),
      event('stateChanged', { state: { ...state, selectedHeads: [{ layer: 0.5, head: 0 }] } }),
      event('stateChanged', { state: { ...state, selectedHeads: 'L0H1' } }),
      request('attentionMap', { runId: 'r', layer: 1.5, head: 0 }),
      request('attentionMap', { runId: 'r', layer: 0, head: -2 }),
      request('attentionMap', { runId: 'r', layer: Number.NaN, head: 0 }),
      request('attentionMap', { runId: 'r', layer: 1e12, head: 0 }),
      { kind: 'request', id: '1', type: 'attentionMap', params: { runId: 'r', layer: 0, head: 0 } },
      { kind: 'request', id: -1, type: 'ablateHeads', params: { runId: 'r', heads: [{ layer: 0, head: 0 }] } },
      request('export', { kind: 'exe', name: 'x.exe' }),
      request('export', { kind: 'csv', name: '../../.bashrc', data: 'x' }),
      request('export', { kind: 'csv', name: '/etc/passwd', data: 'x' }),
      request('export', { kind: 'csv', name: '', data: 'x' }),
      request('export', { kind: 'png', name: 'a.png', data: 'data:text/html;base64,PHNjcmlwdD4=' }),
      request('export', { kind: 'png', name: 'a.png' }),
      request('export', { kind: 'csv', name: 'a.csv' }), // a CSV is built by the webview: no data, nothing to save
      request('export', { kind: 'csv', name: 'a.csv', data: { toString: () => 'x' } }),
      event('revealToken', { runId: 'r', token: -1 }),
      event('revealToken', { runId: 'a b', token: 1 }),
      event('command', { command: 'workbench.action.terminal.new' }),
      request('ablateHeads', { runId: 'r', heads: [] }),
      request('ablateHeads', { runId: 'r' }),
      request('ablateHeads', { runId: 'r', heads: { 0: { layer: 0, head: 0 } } }),
      request('ablateHeads', { runId: 'r', heads: [{ layer: 0 }] }),
      request('ablateHeads', { runId: 'r', heads: [{ layer: 0, head: -1 }] }),
      request('ablateHeads', { runId: 'r', heads: [{ layer: '0', head: 1 }] }),
      request('ablateHeads', { runId: 'r', heads: [[0, 1]] }),
      request('ablateHeads', { runId: 'r', heads: Array.from({ length: 20_000 }, () => ({ layer: 0, head: 0 })) }),
      request('ablateHeads', { runId: '../r', heads: [{ layer: 0, head: 0 }] }),
    ];
    for (const message of bad) {
      const check = host();
      check.receive(message);
      const shown = JSON.stringify(message) ?? String(message);
      assert.deepEqual(check.heard, [], shown.slice(0, 200));
      assert.equal(check.dropped.length, 1, shown.slice(0, 200));
      const isRequest = typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'request';
      const answerable = isRequest && Number.isSafeInteger((message as { id?: unknown }).id) && (message as { id: number }).id > 0;
      assert.deepEqual(
        check.sent.map((envelope) => envelope.kind),
        answerable ? ['error'] : [],
        shown.slice(0, 200),
      );
    }
  });
});

describe('settings under workspace trust', () => {
  const inspected = { defaultValue: '', globalValue: '/home/me/model.onnx', workspaceValue: '/tmp/evil/model.onnx', workspaceFolderValue: undefined };
  it('a trusted workspace may set the model', () => {
    assert.equal(settingForTrust(inspected, true, ''), '/tmp/evil/model.onnx');
  });
  it("an untrusted workspace cannot: the user's value or the default is used", () => {
    assert.equal(settingForTrust(inspected, false, ''), '/home/me/model.onnx');
    assert.equal(settingForTrust({ defaultValue: '', workspaceFolderValue: '/tmp/evil' }, false, ''), '');
    assert.equal(settingForTrust(undefined, false, 'auto'), 'auto');
  });
});
