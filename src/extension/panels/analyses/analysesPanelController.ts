/**
 * The Sink Analyses panel's side of the host: keeps the one analyses panel (made on demand, adopted
 * when VS Code restores it) and shows in it what the analyses service runs: that one is running,
 * its result, or why it failed. A panel that comes back empty gets the last analysis again.
 */
import type * as vscode from 'vscode';
import type { AnalysisView, FromAnalysesWebviewMessage } from '../../../protocol/analysesMessages';
import type { MultiAnalysisKind } from '../../../protocol/channels/worker';
import { analysisIdOfState } from '../../../protocol/channels/analyses';
import { attempt } from '../../../protocol/checks';
import { CancelledError } from '../../../protocol/errors';
import { Disposable } from '../../dispose';
import { PanelSlot } from '../webviewPanel';
import { AnalysesPanel, type AnalysesPanelHost } from './analysesPanel';

export class AnalysesPanelController extends Disposable implements AnalysesPanelHost {
  private readonly panel = this._register(new PanelSlot(() => AnalysesPanel.create(this.extensionUri, this)));
  private lastView: AnalysisView | null = null;

  constructor(private readonly extensionUri: vscode.Uri) {
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
    this.panel.adopt(AnalysesPanel.revive(webviewPanel, this.extensionUri, this, attempt(analysisIdOfState, state, 'restored analyses state') ?? null));
  }

  /** An analysis starts: the panel says so (and comes forward). */
  running(kind: MultiAnalysisKind, title: string): void {
    const panel = this.panel.ensure();
    panel.post({ type: 'running', kind, title });
    panel.reveal();
  }

  show(view: AnalysisView): void {
    this.lastView = view;
    this.panel.ensure().post({ type: 'analysis', view });
  }

  failed(error: unknown): void {
    this.panel.open?.post({ type: 'analysisError', message: error instanceof CancelledError ? 'Cancelled.' : String((error as Error).message ?? error) });
  }

  onAnalysesWebviewMessage(panel: AnalysesPanel, message: FromAnalysesWebviewMessage): void {
    if (message.type === 'ready' && !message.state?.view && this.lastView) panel.post({ type: 'analysis', view: this.lastView });
  }
}
