/**
 * The checkpoint-trace panel ("Sink Trace"): one webview panel, reused by every trace, restored
 * after a reload by a WebviewPanelSerializer from the state its webview keeps. It speaks the trace
 * channel (src/protocol/channels/trace.ts) and keeps which trace its webview shows. Same document
 * rules as every Sink Lens panel (webviewDocument.ts).
 */
import * as vscode from 'vscode';
import { traceHostChecks, traceWebviewChecks, type TraceHostSide, type TraceWebviewSide, type TraceWebviewState } from '../../../protocol/channels/trace';
import type { EventHandlers, EventType, RequestHandlers } from '../../../protocol/rpc';
import { createWebviewPanel, reviveWebviewPanel, WebviewPanel } from '../webviewPanel';

export const TRACE_PANEL_VIEW_TYPE = 'sinkLens.trace';

export class TracePanel extends WebviewPanel<TraceHostSide, TraceWebviewSide> {
  /** The trace the webview shows. */
  traceId: string | null;

  static create(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): TracePanel {
    const panel = createWebviewPanel(TRACE_PANEL_VIEW_TYPE, 'Sink Trace', extensionUri, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false });
    return new TracePanel(panel, extensionUri, log, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, state: TraceWebviewState | null): TracePanel {
    return new TracePanel(reviveWebviewPanel(panel, extensionUri), extensionUri, log, state);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, state: TraceWebviewState | null) {
    super(
      panel,
      extensionUri,
      {
        title: 'Sink Trace',
        styles: ['webview.css', 'trace.css'],
        script: 'trace.js',
        placeholderHtml: '<p class="placeholder">Run <strong>Sink Lens: Open Demo Trace</strong> or <strong>Sink Lens: Analyze Checkpoint Trace…</strong>.</p>',
      },
      false,
      { host: traceHostChecks, webview: traceWebviewChecks },
      log,
    );
    this.traceId = state?.traceId ?? null;
  }

  override handle(requests: RequestHandlers<TraceHostSide>, events: EventHandlers<TraceHostSide>): void {
    super.handle(requests, {
      ...events,
      ready: (body) => {
        if (body.state?.traceId) this.traceId = body.state.traceId;
        events.ready(body);
      },
      stateChanged: (body) => {
        this.traceId = body.state.traceId;
        events.stateChanged(body);
      },
    });
  }

  override notify<K extends EventType<TraceWebviewSide>>(type: K, body: TraceWebviewSide['events'][K]): void {
    if (type === 'trace') {
      const view = body as TraceWebviewSide['events']['trace'];
      this.traceId = view.traceId;
      this.panel.title = `Sink Trace: ${view.name}`;
    }
    super.notify(type, body);
  }
}
