/**
 * What the report panel sends its webview, seen from inside the extension host: every envelope it
 * transmits (events and replies), recorded or waited for, and requests handed to it as its webview
 * posts them. Used by the suites that check the stream a run sends and the maps the panel answers.
 */
import * as assert from 'node:assert/strict';
import type { ReportWebviewSide } from '../../src/protocol/channels/report';
import { fromErrorPayload } from '../../src/protocol/errors';
import type { Envelope } from '../../src/protocol/rpc';
import type { AttentionMapPayload } from '../../src/protocol/runReport';
import type { ReportPanel } from '../../src/extension/panels/report/reportPanel';
import type { SinkLens } from '../../src/extension/sinkLens';

type Events = ReportWebviewSide['events'];
export type PanelEvent = { [K in keyof Events]: { type: K; body: Events[K] } }[keyof Events];

/** Calls `listener` with every envelope the panel transmits, until the returned function is called. */
export function tapPanel(panel: ReportPanel, listener: (envelope: Envelope) => void): () => void {
  const transmit = panel.transmit;
  panel.transmit = (envelope: Envelope) => {
    listener(envelope);
    transmit.call(panel, envelope);
  };
  return () => delete (panel as { transmit?: unknown }).transmit; // back to the prototype's
}

/** Records what the report panel sends its webview while `action` runs (the panel is opened first). */
export async function watchPanel<T>(api: SinkLens, action: (panel: ReportPanel) => Promise<T>): Promise<{ value: T; posted: PanelEvent[] }> {
  api.reportPanel.showPanel();
  const panel = api.reportPanel.currentPanel();
  assert.ok(panel, 'the report panel is open');
  const posted: PanelEvent[] = [];
  const untap = tapPanel(panel, (envelope) => {
    const event = eventOf(envelope);
    if (event) posted.push(event);
  });
  try {
    return { value: await action(panel), posted };
  } finally {
    untap();
  }
}

/** The events among envelopes, typed. */
export function eventOf(envelope: Envelope): PanelEvent | undefined {
  return envelope.kind === 'event' ? ({ type: envelope.type, body: envelope.body } as PanelEvent) : undefined;
}

/** The run an event is about (undefined for events about none). */
export function runIdOf(event: PanelEvent): string | null | undefined {
  switch (event.type) {
    case 'runReport':
    case 'runError':
      return event.body.runId;
    default:
      return undefined;
  }
}

/** Asks for a map the way the panel's webview does (a request through the channel's checks), and waits for the host's reply. */
export function requestMap(panel: ReportPanel, runId: string, layer: number, head: number, id: number): Promise<AttentionMapPayload> {
  return new Promise<AttentionMapPayload>((resolve, reject) => {
    const untap = tapPanel(panel, (envelope) => {
      if ((envelope.kind !== 'reply' && envelope.kind !== 'error') || envelope.inReplyTo !== id) return;
      untap();
      if (envelope.kind === 'reply') resolve(envelope.result as AttentionMapPayload);
      else reject(fromErrorPayload(envelope.error));
    });
    panel.receive({ kind: 'request', id, type: 'attentionMap', params: { runId, layer, head } });
  });
}
