/**
 * The multi-run analyses panel ("Sink Analyses"): with/without BOS, many prompts, a layer's head
 * sweep, the report grid's selected heads ablated together and first-token substitution, one view
 * per kind. One webview panel, reused by every analysis, restored after a reload by a
 * WebviewPanelSerializer from the state its webview keeps (the whole analysis document). It speaks
 * the analyses channel (src/protocol/channels/analyses.ts). Same document rules as every Sink Lens
 * panel (webviewDocument.ts).
 */
import * as vscode from 'vscode';
import { analysesHostChecks, analysesWebviewChecks, type AnalysesHostSide, type AnalysesWebviewSide } from '../../../protocol/channels/analyses';
import type { EventHandlers, EventType, RequestHandlers } from '../../../protocol/rpc';
import { createWebviewPanel, reviveWebviewPanel, WebviewPanel } from '../webviewPanel';

export const ANALYSES_PANEL_VIEW_TYPE = 'sinkLens.analyses';

export class AnalysesPanel extends WebviewPanel<AnalysesHostSide, AnalysesWebviewSide> {
  /** The analysis the webview shows. */
  analysisId: string | null;

  static create(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): AnalysesPanel {
    // Beside the editor, keeping its focus: the commands read the prompts from that editor.
    const panel = createWebviewPanel(ANALYSES_PANEL_VIEW_TYPE, 'Sink Analyses', extensionUri, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    return new AnalysesPanel(panel, extensionUri, log, null);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, analysisId: string | null): AnalysesPanel {
    return new AnalysesPanel(reviveWebviewPanel(panel, extensionUri), extensionUri, log, analysisId);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel, analysisId: string | null) {
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
      { host: analysesHostChecks, webview: analysesWebviewChecks },
      log,
    );
    this.analysisId = analysisId;
  }

  override handle(requests: RequestHandlers<AnalysesHostSide>, events: EventHandlers<AnalysesHostSide>): void {
    super.handle(requests, {
      ready: (body) => {
        if (body.analysisId) this.analysisId = body.analysisId;
        events.ready(body);
      },
      stateChanged: (body) => {
        this.analysisId = body.analysisId;
        events.stateChanged(body);
      },
    });
  }

  override notify<K extends EventType<AnalysesWebviewSide>>(type: K, body: AnalysesWebviewSide['events'][K]): void {
    if (type === 'analysis') {
      const view = body as AnalysesWebviewSide['events']['analysis'];
      this.analysisId = view.id;
      this.panel.title = `Sink Analyses: ${view.title}`;
    }
    if (type === 'running') this.panel.title = `Sink Analyses: ${(body as AnalysesWebviewSide['events']['running']).title}…`;
    super.notify(type, body);
  }
}
