/**
 * The Sink Lens report panel: one webview panel, reused by every run (re-running updates it in
 * place), restored after a reload by a WebviewPanelSerializer from the state the webview keeps.
 * Strict CSP: scripts and styles only from dist/ and media/ with a nonce, no inline styles, no eval
 * (src/webviewDocument.ts).
 */
import * as vscode from 'vscode';
import { createWebviewPanel, reviveWebviewPanel, WebviewPanel } from '../webviewPanel';
import { type FromWebviewMessage, parseFromWebviewMessage, type ToWebviewMessage, type WebviewState } from '../../../protocol/reportMessages';

export const REPORT_PANEL_VIEW_TYPE = 'sinkLens.report';

/** What the panel asks of the rest of the extension. */
export interface PanelHost {
  onWebviewMessage(panel: ReportPanel, message: FromWebviewMessage): void;
}

export class ReportPanel extends WebviewPanel<ToWebviewMessage, FromWebviewMessage> {
  /** The run the webview shows (from its state, or the last one posted). */
  runId: string | null;
  /** Messages from the webview that failed validation and were dropped. */
  droppedMessages = 0;

  static create(extensionUri: vscode.Uri, host: PanelHost): ReportPanel {
    const panel = createWebviewPanel(REPORT_PANEL_VIEW_TYPE, 'Sink Report', extensionUri, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    return new ReportPanel(panel, extensionUri, host, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: PanelHost, state: WebviewState | null): ReportPanel {
    return new ReportPanel(reviveWebviewPanel(panel, extensionUri), extensionUri, host, state);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: PanelHost,
    state: WebviewState | null,
  ) {
    super(
      panel,
      extensionUri,
      { title: 'Sink Report', styles: ['webview.css'], script: 'webview.js', placeholderHtml: '<p class="placeholder">Run <strong>Sink Lens: Analyze Prompt Sinks</strong> with the cursor in a prompt.</p>' },
      true,
    );
    this.runId = state?.runId ?? null;
  }

  /** Anything but the shapes the webview sends is dropped (and counted, for the tests). */
  protected parse(received: unknown): FromWebviewMessage | null {
    const message = parseFromWebviewMessage(received) ?? null;
    if (!message) this.droppedMessages++;
    return message;
  }

  protected receive(message: FromWebviewMessage): void {
    if (message.type === 'ready' && message.state?.runId) this.runId = message.state.runId;
    if (message.type === 'stateChanged') this.runId = message.state.runId;
    this.host.onWebviewMessage(this, message);
  }

  override post(message: ToWebviewMessage): void {
    if (message.type === 'runBegin') this.runId = message.summary.runId;
    super.post(message);
  }
}
