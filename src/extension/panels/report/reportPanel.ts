/**
 * The Sink Lens report panel: one webview panel, reused by every run (re-running updates it in
 * place), restored after a reload by a WebviewPanelSerializer from the state the webview keeps. It
 * speaks the report channel (src/protocol/channels/report.ts) and keeps which run its webview shows.
 * Strict CSP: scripts and styles only from dist/ and media/ with a nonce, no inline styles, no eval
 * (webviewDocument.ts).
 */
import * as vscode from 'vscode';
import { reportHostChecks, reportWebviewChecks, type ReportHostSide, type ReportWebviewSide, type ReportWebviewState } from '../../../protocol/channels/report';
import type { EventType } from '../../../protocol/rpc';
import { createWebviewPanel, reviveWebviewPanel, WebviewPanel } from '../webviewPanel';

export const REPORT_PANEL_VIEW_TYPE = 'sinkLens.report';

export class ReportPanel extends WebviewPanel<ReportHostSide, ReportWebviewSide> {
  /** The run the panel shows (from the state it was restored with, or the last one sent). */
  runId: string | null;

  static create(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): ReportPanel {
    const panel = createWebviewPanel(REPORT_PANEL_VIEW_TYPE, 'Sink Report', extensionUri, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    return new ReportPanel(panel, extensionUri, log, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, state: ReportWebviewState | null): ReportPanel {
    return new ReportPanel(reviveWebviewPanel(panel, extensionUri), extensionUri, log, state);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, state: ReportWebviewState | null) {
    super(
      panel,
      extensionUri,
      {
        title: 'Sink Report',
        styles: ['webview.css'],
        script: 'webview.js',
        placeholderHtml: '<p class="placeholder">Run <strong>Sink Lens: Analyze Prompt Sinks</strong> with the cursor in a prompt.</p>',
      },
      true,
      { host: reportHostChecks, webview: reportWebviewChecks },
      log,
    );
    this.runId = state?.runId ?? null;
  }

  override notify<K extends EventType<ReportWebviewSide>>(type: K, body: ReportWebviewSide['events'][K]): void {
    // The host decides which run the panel shows (reportPanelController.ts); the webview only draws it.
    if (type === 'runStarted' || type === 'runReport') this.runId = (body as { runId: string }).runId;
    super.notify(type, body);
  }
}
