/**
 * The Sink Analyses panel's side of the host: keeps the one analyses panel (made on demand, adopted
 * when VS Code restores it) and shows in it what the analyses service runs: that one is running,
 * its result, or why it failed. A panel that comes back empty gets the last analysis again.
 */
import type * as vscode from 'vscode';
import { analysisIdOfState, type AnalysisView } from '../../../protocol/channels/analyses';
import type { MultiAnalysisKind } from '../../../protocol/channels/worker';
import { attempt } from '../../../protocol/checks';
import { CancelledError, toErrorPayload } from '../../../protocol/errors';
import { Disposable } from '../../dispose';
import { PanelSlot } from '../webviewPanel';
import { AnalysesPanel } from './analysesPanel';

export class AnalysesPanelController extends Disposable {
  private readonly panel = this._register(new PanelSlot(() => this.connect(AnalysesPanel.create(this.extensionUri, this.log))));
  private lastView: AnalysisView | null = null;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  showPanel(): void {
    this.panel.ensure().reveal();
  }

  /** The panel when one is open (tests observe it). */
  currentPanel(): AnalysesPanel | undefined {
    return this.panel.open;
  }

  /** A panel VS Code restores after a reload; of the state its webview kept, only the analysis's id is read (checked). */
  revive(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    this.panel.adopt(this.connect(AnalysesPanel.revive(webviewPanel, this.extensionUri, this.log, attempt(analysisIdOfState, state, 'restored analyses state') ?? null)));
  }

  /** An analysis starts: the panel says so (and comes forward). */
  running(kind: MultiAnalysisKind, title: string): void {
    const panel = this.panel.ensure();
    panel.notify('running', { kind, title });
    panel.reveal();
  }

  show(view: AnalysisView): void {
    this.lastView = view;
    this.panel.ensure().notify('analysis', view);
  }

  failed(error: unknown): void {
    const payload = toErrorPayload(error);
    this.panel.open?.notify('analysisError', { error: error instanceof CancelledError ? { ...payload, message: 'Cancelled.' } : payload });
  }

  private connect(panel: AnalysesPanel): AnalysesPanel {
    panel.handle(
      {},
      {
        ready: ({ analysisId }) => {
          if (!analysisId && this.lastView) panel.notify('analysis', this.lastView);
        },
        stateChanged: () => undefined,
      },
    );
    return panel;
  }
}
