/**
 * The Sink Lens report panel: one webview panel, reused by every run (re-running updates it in
 * place), restored after a reload by a WebviewPanelSerializer from the state the webview keeps.
 * Strict CSP: scripts and styles only from dist/ and media/ with a nonce, no inline styles, no eval.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import { webviewDocument, webviewPanelOptions } from './webviewDocument';
import type { FromWebviewMessage, ToWebviewMessage, WebviewState } from './shared/protocol';
import { parseFromWebviewMessage } from './shared/webviewMessages';

export const PANEL_VIEW_TYPE = 'sinkLens.report';

/** What the panel asks of the rest of the extension. */
export interface PanelHost {
  onWebviewMessage(panel: SinkPanel, message: FromWebviewMessage): void;
}

export class SinkPanel extends Disposable {
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;
  /** The run the webview shows (from its state, or the last one posted). */
  runId: string | null = null;
  private ready = false;
  /** Messages from the webview that failed validation and were dropped. */
  droppedMessages = 0;
  private readonly queued: ToWebviewMessage[] = [];

  static create(extensionUri: vscode.Uri, host: PanelHost): SinkPanel {
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Sink Report',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewPanelOptions(extensionUri),
    );
    return new SinkPanel(panel, extensionUri, host, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: PanelHost, state: WebviewState | null): SinkPanel {
    panel.webview.options = webviewPanelOptions(extensionUri);
    return new SinkPanel(panel, extensionUri, host, state);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: PanelHost,
    state: WebviewState | null,
  ) {
    super();
    this.runId = state?.runId ?? null;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'sink-lens.svg');
    panel.webview.html = webviewDocument(panel.webview, extensionUri, { title: 'Sink Report', styles: ['webview.css'], script: 'webview.js', placeholderHtml: '<p class="placeholder">Run <strong>Sink Lens: Analyze Prompt Sinks</strong> with the cursor in a prompt.</p>' });
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(
      panel.webview.onDidReceiveMessage((received: unknown) => {
        // Validated before use: anything but the shapes the webview sends is dropped.
        const message = parseFromWebviewMessage(received);
        if (!message) {
          this.droppedMessages++;
          return;
        }
        if (message.type === 'ready') {
          this.ready = true;
          if (message.state?.runId) this.runId = message.state.runId;
        }
        if (message.type === 'stateChanged') this.runId = message.state.runId;
        this.host.onWebviewMessage(this, message);
        if (message.type === 'ready') this.flush();
      }),
    );
  }

  private disposing = false;

  override dispose(): void {
    // Listeners of onDidDispose may dispose this panel again (a DisposableValue clearing itself).
    if (this.disposing) return;
    this.disposing = true;
    this._onDidDispose.fire();
    super.dispose();
    this.panel.dispose();
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  /** Messages wait until the webview says it is ready; after that they go straight through. */
  post(message: ToWebviewMessage): void {
    if (message.type === 'runBegin') this.runId = message.summary.runId;
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
