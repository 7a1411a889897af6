/**
 * The multi-run analyses panel ("Sink Analyses"): with/without BOS, many prompts, a layer's head
 * sweep, the report grid's selected heads ablated together and first-token substitution, one view per kind. One webview panel, reused by every
 * analysis, restored after a reload by a WebviewPanelSerializer from the state its webview keeps
 * (the whole analysis document). Same rules as the
 * report panel (src/sinkPanel.ts): strict CSP with a nonce, scripts and styles only from dist/,
 * localResourceRoots limited to dist/ and media/, colours from --vscode-* variables.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import { webviewDocument, webviewPanelOptions } from './webviewDocument';
import type { FromAnalysesWebviewMessage, ToAnalysesWebviewMessage, AnalysesWebviewState } from './shared/analysesProtocol';

export const ANALYSES_PANEL_VIEW_TYPE = 'sinkLens.analyses';

export interface AnalysesPanelHost {
  onAnalysesWebviewMessage(panel: AnalysesPanel, message: FromAnalysesWebviewMessage): void;
}

export class AnalysesPanel extends Disposable {
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;
  /** The analysis the webview shows. */
  analysisId: string | null = null;
  private ready = false;
  private readonly queued: ToAnalysesWebviewMessage[] = [];
  private disposing = false;

  static create(extensionUri: vscode.Uri, host: AnalysesPanelHost): AnalysesPanel {
    const panel = vscode.window.createWebviewPanel(
      ANALYSES_PANEL_VIEW_TYPE,
      'Sink Analyses',
      // Beside the editor, keeping its focus: the commands read the prompts from that editor.
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewPanelOptions(extensionUri),
    );
    return new AnalysesPanel(panel, extensionUri, host, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: AnalysesPanelHost, state: AnalysesWebviewState | null): AnalysesPanel {
    panel.webview.options = webviewPanelOptions(extensionUri);
    return new AnalysesPanel(panel, extensionUri, host, state);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: AnalysesPanelHost,
    state: AnalysesWebviewState | null,
  ) {
    super();
    this.analysisId = state?.view?.id ?? null;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'sink-lens.svg');
    panel.webview.html = webviewDocument(panel.webview, extensionUri, {
      title: 'Sink Analyses',
      styles: ['webview.css', 'analyses.css'],
      script: 'analyses.js',
      placeholderHtml: '<p class="placeholder">Run <strong>Sink Lens: Compare Without BOS</strong>, <strong>Analyze Prompts in File / Selection</strong>, <strong>Ablate Each Head of Layer…</strong> or <strong>First-Token Substitution</strong>, or select heads in the Sink Report\'s grid and <strong>Ablate Selected Heads</strong>.</p>',
    });
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(
      panel.webview.onDidReceiveMessage((message: FromAnalysesWebviewMessage) => {
        if (message.type === 'ready') {
          this.ready = true;
          if (message.state?.view) this.analysisId = message.state.view.id;
        }
        if (message.type === 'stateChanged') this.analysisId = message.state.view?.id ?? null;
        this.host.onAnalysesWebviewMessage(this, message);
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
    this.panel.reveal(undefined, true);
  }

  post(message: ToAnalysesWebviewMessage): void {
    if (message.type === 'analysis') {
      this.analysisId = message.view.id;
      this.panel.title = `Sink Analyses: ${message.view.title}`;
    }
    if (message.type === 'running') this.panel.title = `Sink Analyses: ${message.title}…`;
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
