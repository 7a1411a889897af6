/**
 * The checkpoint-trace panel ("Sink Trace"): one webview panel, reused by every trace, restored
 * after a reload by a WebviewPanelSerializer from the state its webview keeps. Same document rules
 * as every Sink Lens panel (src/webviewDocument.ts).
 */
import * as vscode from 'vscode';
import { createWebviewPanel, reviveWebviewPanel, WebviewPanel } from '../webviewPanel';
import { type FromTraceWebviewMessage, parseFromTraceWebviewMessage, type ToTraceWebviewMessage, type TraceWebviewState } from '../../../protocol/traceMessages';

export const TRACE_PANEL_VIEW_TYPE = 'sinkLens.trace';

export interface TracePanelHost {
  onTraceWebviewMessage(panel: TracePanel, message: FromTraceWebviewMessage): void;
}

export class TracePanel extends WebviewPanel<ToTraceWebviewMessage, FromTraceWebviewMessage> {
  /** The trace the webview shows. */
  traceId: string | null;

  static create(extensionUri: vscode.Uri, host: TracePanelHost): TracePanel {
    const panel = createWebviewPanel(TRACE_PANEL_VIEW_TYPE, 'Sink Trace', extensionUri, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false });
    return new TracePanel(panel, extensionUri, host, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: TracePanelHost, state: TraceWebviewState | null): TracePanel {
    return new TracePanel(reviveWebviewPanel(panel, extensionUri), extensionUri, host, state);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: TracePanelHost,
    state: TraceWebviewState | null,
  ) {
    super(
      panel,
      extensionUri,
      { title: 'Sink Trace', styles: ['webview.css', 'trace.css'], script: 'trace.js', placeholderHtml: '<p class="placeholder">Run <strong>Sink Lens: Open Demo Trace</strong> or <strong>Sink Lens: Analyze Checkpoint Trace…</strong>.</p>' },
      false,
    );
    this.traceId = state?.traceId ?? null;
  }

  /** Anything but the shapes the trace webview sends is dropped (src/shared/traceWebviewMessages.ts). */
  protected parse(received: unknown): FromTraceWebviewMessage | null {
    return parseFromTraceWebviewMessage(received) ?? null;
  }

  protected receive(message: FromTraceWebviewMessage): void {
    if (message.type === 'ready' && message.state?.traceId) this.traceId = message.state.traceId;
    if (message.type === 'stateChanged') this.traceId = message.state.traceId;
    this.host.onTraceWebviewMessage(this, message);
  }

  override post(message: ToTraceWebviewMessage): void {
    if (message.type === 'trace') {
      this.traceId = message.view.traceId;
      this.panel.title = `Sink Trace: ${message.view.name}`;
    }
    super.post(message);
  }
}
