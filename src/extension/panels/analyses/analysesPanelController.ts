/**
 * The Sink Analyses panel's side of the host: keeps the one analyses panel (made on demand, adopted
 * when VS Code restores it) and decides what it shows: the analysis started last, running (what
 * was asked), its result, or why it ended without one (cancelled, failed): never an earlier
 * analysis's result under it. A webview that says it is ready (new, restored, or shown again after
 * being hidden) and does not show that analysis gets it again; after a reload, with nothing run
 * yet, the webview keeps the analysis it restored.
 */
import type * as vscode from 'vscode';
import { analysisIdOfState, type AnalysisView, type RunningAnalysis } from '../../../protocol/channels/analyses';
import { attempt } from '../../../protocol/checks';
import { CancelledError, toErrorPayload, type ErrorPayload } from '../../../protocol/errors';
import { Disposable } from '../../dispose';
import { PanelSlot } from '../webviewPanel';
import { AnalysesPanel } from './analysesPanel';

/** What the panel shows. */
type Shown = { kind: 'running'; running: RunningAnalysis } | { kind: 'done'; view: AnalysisView } | { kind: 'ended'; running: RunningAnalysis; error: ErrorPayload };

export class AnalysesPanelController extends Disposable {
  private readonly panel = this._register(new PanelSlot(() => this.connect(AnalysesPanel.create(this.extensionUri, this.log))));
  private shown: Shown | null = null;

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

  /** An analysis starts: it takes the panel (which comes forward), with what was asked. */
  running(running: RunningAnalysis): void {
    this.shown = { kind: 'running', running };
    const panel = this.panel.ensure();
    this.send(panel);
    panel.reveal();
  }

  /** Its result, if it is still the one the panel shows. */
  show(view: AnalysisView): void {
    if (this.shown?.kind === 'running' && this.shown.running.id !== view.id) return;
    this.shown = { kind: 'done', view };
    this.send(this.panel.ensure());
  }

  /** Why it ended without a result, if it is still the one the panel shows. */
  failed(id: string, error: unknown): void {
    if (this.shown?.kind !== 'running' || this.shown.running.id !== id) return;
    const payload = toErrorPayload(error);
    this.shown = { kind: 'ended', running: this.shown.running, error: error instanceof CancelledError ? { ...payload, message: 'Cancelled.' } : payload };
    const panel = this.panel.open;
    if (panel) this.send(panel);
  }

  private send(panel: AnalysesPanel): void {
    const shown = this.shown;
    if (!shown) return;
    if (shown.kind === 'done') {
      panel.notify('analysis', shown.view);
      return;
    }
    panel.notify('running', shown.running);
    if (shown.kind === 'ended') panel.notify('analysisError', { id: shown.running.id, error: shown.error });
  }

  private connect(panel: AnalysesPanel): AnalysesPanel {
    panel.handle(
      {},
      {
        ready: ({ analysisId }) => {
          const shownId = this.shown?.kind === 'done' ? this.shown.view.id : null;
          if (this.shown && (shownId === null || shownId !== analysisId)) this.send(panel);
        },
        stateChanged: () => undefined,
      },
    );
    return panel;
  }
}
