/**
 * The checkpoint-trace panel ("Sink Trace"): one webview panel, reused by every trace, restored
 * after a reload by a WebviewPanelSerializer from the state its webview keeps. Same rules as the
 * report panel (src/sinkPanel.ts): strict CSP with a nonce, scripts and styles only from dist/,
 * localResourceRoots limited to dist/ and media/, colours from --vscode-* variables.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
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
      panelOptions(extensionUri),
    );
    return new TracePanel(panel, extensionUri, host, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: TracePanelHost, state: TraceWebviewState | null): TracePanel {
    panel.webview.options = panelOptions(extensionUri);
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
    panel.webview.html = renderHtml(panel.webview, extensionUri);
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

function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

function renderHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = getNonce();
  const asset = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...path)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} blob: data:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" nonce="${nonce}" href="${asset('dist', 'webview.css')}">
  <link rel="stylesheet" nonce="${nonce}" href="${asset('dist', 'trace.css')}">
  <title>Sink Trace</title>
</head>
<body>
  <main id="app" aria-live="polite"><p class="placeholder">Run <strong>Sink Lens: Open Demo Trace</strong> or <strong>Sink Lens: Analyze Checkpoint Trace…</strong>.</p></main>
  <script nonce="${nonce}" src="${asset('dist', 'trace.js')}"></script>
</body>
</html>`;
}

function getNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let nonce = '';
  for (let i = 0; i < 32; i++) nonce += alphabet[Math.floor(Math.random() * alphabet.length)];
  return nonce;
}
