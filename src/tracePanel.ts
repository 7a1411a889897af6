/**
 * The checkpoint-trace panel ("Sink Trace"): one webview panel, reused by every trace, restored
 * after a reload by a WebviewPanelSerializer from the state its webview keeps. Same rules as the
 * report panel (src/sinkPanel.ts): strict CSP with a nonce, scripts and styles only from dist/,
 * localResourceRoots limited to dist/ and media/, colours from --vscode-* variables.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import { webviewDocument, webviewPanelOptions } from './webviewDocument';
import type { FromTraceWebviewMessage, ToTraceWebviewMessage, TraceWebviewState } from './shared/traceProtocol';

export const TRACE_PANEL_VIEW_TYPE = 'sinkLens.trace';

export interface TracePanelHost {
  onTraceWebviewMessage(panel: TracePanel, message: FromTraceWebviewMessage): void;
}

export class TracePanel extends Disposable {
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;
  /** The trace the webview shows. */
  traceId: string | null = null;
  private ready = false;
  private readonly queued: ToTraceWebviewMessage[] = [];
  private disposing = false;

  static create(extensionUri: vscode.Uri, host: TracePanelHost): TracePanel {
    const panel = vscode.window.createWebviewPanel(
      TRACE_PANEL_VIEW_TYPE,
      'Sink Trace',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      webviewPanelOptions(extensionUri),
    );
    return new TracePanel(panel, extensionUri, host, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: TracePanelHost, state: TraceWebviewState | null): TracePanel {
    panel.webview.options = webviewPanelOptions(extensionUri);
    return new TracePanel(panel, extensionUri, host, state);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: TracePanelHost,
    state: TraceWebviewState | null,
  ) {
    super();
    this.traceId = state?.traceId ?? null;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'sink-lens.svg');
    panel.webview.html = webviewDocument(panel.webview, extensionUri, { title: 'Sink Trace', styles: ['webview.css', 'trace.css'], script: 'trace.js', placeholderHtml: '<p class="placeholder">Run <strong>Sink Lens: Open Demo Trace</strong> or <strong>Sink Lens: Analyze Checkpoint Trace…</strong>.</p>' });
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(
      panel.webview.onDidReceiveMessage((message: FromTraceWebviewMessage) => {
        if (message.type === 'ready') {
          this.ready = true;
          if (message.state?.traceId) this.traceId = message.state.traceId;
        }
        if (message.type === 'stateChanged') this.traceId = message.state.traceId;
        this.host.onTraceWebviewMessage(this, message);
        if (message.type === 'ready') this.flush();
      }),
    );
  }

  override dispose(): void {
    if (this.disposing) return;
    this.disposing = true;
    this._onDidDispose.fire();
    super.dispose();
    this.panel.dispose();
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  post(message: ToTraceWebviewMessage): void {
    if (message.type === 'trace') {
      this.traceId = message.view.traceId;
      this.panel.title = `Sink Trace: ${message.view.name}`;
    }
    if (!this.ready) {
      this.queued.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private flush(): void {
    for (const message of this.queued.splice(0)) void this.panel.webview.postMessage(message);
  }
}
