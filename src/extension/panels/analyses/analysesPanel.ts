/**
 * The multi-run analyses panel ("Sink Analyses"): with/without BOS, many prompts, a layer's head
 * sweep, the report grid's selected heads ablated together and first-token substitution, one view
 * per kind. One webview panel, reused by every analysis, restored after a reload by a
 * WebviewPanelSerializer from the state its webview keeps (the whole analysis document). Same
 * document rules as every Sink Lens panel (src/webviewDocument.ts).
 */
import * as vscode from 'vscode';
import { createWebviewPanel, reviveWebviewPanel, WebviewPanel } from '../webviewPanel';
import type { FromAnalysesWebviewMessage, ToAnalysesWebviewMessage } from '../../../protocol/analysesMessages';

export const ANALYSES_PANEL_VIEW_TYPE = 'sinkLens.analyses';

export interface AnalysesPanelHost {
  onAnalysesWebviewMessage(panel: AnalysesPanel, message: FromAnalysesWebviewMessage): void;
}

export class AnalysesPanel extends WebviewPanel<ToAnalysesWebviewMessage, FromAnalysesWebviewMessage> {
  /** The analysis the webview shows. */
  analysisId: string | null;

  static create(extensionUri: vscode.Uri, host: AnalysesPanelHost): AnalysesPanel {
    // Beside the editor, keeping its focus: the commands read the prompts from that editor.
    const panel = createWebviewPanel(ANALYSES_PANEL_VIEW_TYPE, 'Sink Analyses', extensionUri, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    return new AnalysesPanel(panel, extensionUri, host, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, host: AnalysesPanelHost, analysisId: string | null): AnalysesPanel {
    return new AnalysesPanel(reviveWebviewPanel(panel, extensionUri), extensionUri, host, analysisId);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: AnalysesPanelHost,
    analysisId: string | null,
  ) {
    super(
      panel,
      extensionUri,
      {
        title: 'Sink Analyses',
        styles: ['webview.css', 'analyses.css'],
        script: 'analyses.js',
        placeholderHtml:
          '<p class="placeholder">Run <strong>Sink Lens: Compare Without BOS</strong>, <strong>Analyze Prompts in File / Selection</strong>, <strong>Ablate Each Head of Layer…</strong> or <strong>First-Token Substitution</strong>, or select heads in the Sink Report\'s grid and <strong>Ablate Selected Heads</strong>.</p>',
      },
      true,
    );
    this.analysisId = analysisId;
  }

  // Only the report panel's messages carry ids and ranges into the engine; they are validated there.
  protected parse(received: unknown): FromAnalysesWebviewMessage {
    return received as FromAnalysesWebviewMessage;
  }

  protected receive(message: FromAnalysesWebviewMessage): void {
    if (message.type === 'ready' && message.state?.view) this.analysisId = message.state.view.id;
    if (message.type === 'stateChanged') this.analysisId = message.state.view?.id ?? null;
    this.host.onAnalysesWebviewMessage(this, message);
  }

  override post(message: ToAnalysesWebviewMessage): void {
    if (message.type === 'analysis') {
      this.analysisId = message.view.id;
      this.panel.title = `Sink Analyses: ${message.view.title}`;
    }
    if (message.type === 'running') this.panel.title = `Sink Analyses: ${message.title}…`;
    super.post(message);
  }
}
