/**
 * The Sink Report panel's side of the host: keeps the one report panel (made on demand, adopted
 * when VS Code restores it), streams into it the run it shows as the run service reports its parts,
 * replays a stored run into it, and answers what its webview asks (an attention map, an ablation,
 * an export, the token in the editor, the toolbar's commands).
 */
import * as vscode from 'vscode';
import type { HeadRef } from '../../../protocol/analyses';
import type { MultiAnalysisResult } from '../../../protocol/channels/worker';
import { readyState, reportWebviewState } from '../../../protocol/channels/report';
import { attempt } from '../../../protocol/checks';
import { toErrorPayload, type ErrorPayload } from '../../../protocol/errors';
import type { FromWebviewMessage, WebviewState } from '../../../protocol/reportMessages';
import { Disposable } from '../../dispose';
import type { LiveRun } from '../../runs/liveRuns';
import { revealTokenInEditor } from '../../runs/revealToken';
import type { RunEvent, RunService } from '../../runs/runService';
import type { RunStore } from '../../storage/runStore';
import { PanelSlot } from '../webviewPanel';
import { saveExport, webviewExportBytes } from '../webviewExport';
import { ReportPanel, type PanelHost } from './reportPanel';

export class ReportPanelController extends Disposable implements PanelHost {
  private readonly panel = this._register(new PanelSlot(() => ReportPanel.create(this.extensionUri, this)));

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunService,
    private readonly store: RunStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(runs.onDidChangeRun((event) => this.follow(event)));
  }

  showPanel(): void {
    this.panel.ensure().reveal();
  }

  /** The report panel when one is open (tests observe and close it). */
  currentPanel(): ReportPanel | undefined {
    return this.panel.open;
  }

  /** A panel VS Code restores after a reload, with the state its webview kept (checked: it comes from the webview). */
  revive(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    this.panel.adopt(ReportPanel.revive(webviewPanel, this.extensionUri, this, attempt(readyState(reportWebviewState), state, 'restored report state') ?? null));
  }

  /** Shows a run (from the explorer, a hover, a test), focused on a layer, head or token. */
  async showRun(target: { runId: string; layer?: number; head?: number; token?: number }): Promise<void> {
    const live = await this.runs.live.get(target.runId);
    if (!live) {
      void vscode.window.showWarningMessage('Sink Lens: that run is no longer stored.');
      return;
    }
    const panel = this.panel.ensure();
    if (panel.runId !== target.runId) this.replay(panel, live);
    panel.reveal();
    panel.post({ type: 'focus', runId: target.runId, layer: target.layer, head: target.head, token: target.token });
  }

  onWebviewMessage(panel: ReportPanel, message: FromWebviewMessage): void {
    switch (message.type) {
      case 'ready': {
        const runId = message.state?.runId ?? panel.runId;
        this.log.info(`report panel ready${runId ? ` for run ${runId}` : ''}`);
        if (!runId) break;
        void this.runs.live.get(runId).then(
          (live) => (live ? this.replay(panel, live, message.state ?? undefined) : this.log.warn(`run ${runId} is no longer stored`)),
          (error) => this.log.error(`could not restore run ${runId}: ${String(error)}`),
        );
        break;
      }
      case 'requestAttentionMap':
        void this.runs.attentionMap(message.runId, message.layer, message.head).then(
          (map) => panel.post({ type: 'attentionMap', inReplyTo: message.requestId, map }),
          (error) => panel.post({ type: 'attentionMapError', inReplyTo: message.requestId, error: toErrorPayload(error) }),
        );
        break;
      case 'export':
        void this.exportFromWebview(panel, message.kind, message.name, message.data);
        break;
      case 'revealToken':
        void revealTokenInEditor(this.store, message.runId, message.token);
        break;
      case 'ablateHeads':
        void this.ablateHeads(panel, message.requestId, message.runId, message.heads);
        break;
      case 'command':
        if (message.command === 'selectModel') void vscode.commands.executeCommand('sinkLens.selectModel');
        if (message.command === 'openSettings') void vscode.commands.executeCommand('workbench.action.openSettings', 'sinkLens');
        if (message.command === 'rerun' && panel.runId) void this.runs.rerun(panel.runId);
        break;
      case 'stateChanged':
        break;
    }
  }

  /** A run the service streams: a new one takes the panel; its parts go to the panel while it shows that run. */
  private follow(event: RunEvent): void {
    switch (event.kind) {
      case 'started':
        this.panel.ensure().reveal();
        break;
      case 'summary':
        this.panel.open?.post({ type: 'runBegin', summary: event.summary });
        break;
      case 'layer':
        this.panelFor(event.layer.runId)?.post({ type: 'runLayer', layer: event.layer });
        break;
      case 'received':
        this.panelFor(event.received.runId)?.post({ type: 'runReceived', received: event.received });
        break;
      case 'ended':
        this.panelFor(event.runId)?.post({ type: 'runEnd', runId: event.runId });
        break;
      case 'failed':
        // A panel that shows no run yet says so; one that shows another run ignores it (the webview checks).
        this.panel.open?.post({ type: 'runError', runId: event.runId, error: event.error });
        break;
    }
  }

  /** The panel, when it shows this run (a run the user navigated away from keeps streaming into storage only). */
  private panelFor(runId: string): ReportPanel | undefined {
    const panel = this.panel.open;
    return panel?.runId === runId ? panel : undefined;
  }

  private replay(panel: ReportPanel, live: LiveRun, state?: WebviewState): void {
    const { summary } = live;
    if (!summary) return;
    panel.post({ type: 'runBegin', summary });
    for (const layer of live.layers) panel.post({ type: 'runLayer', layer });
    live.received.forEach((received, layer) => received && panel.post({ type: 'runReceived', received: { runId: summary.runId, layer, received } }));
    if (live.done) panel.post({ type: 'runEnd', runId: summary.runId });
    if (state) panel.post({ type: 'focus', runId: summary.runId, layer: state.layer, head: state.head, token: state.focusedToken ?? undefined });
  }

  /**
   * "Ablate Selected Heads": the Sink Analyses panel runs and shows it (the same path as the layer
   * sweep); the report panel only hears whether it did, so that its button can say so.
   */
  private async ablateHeads(panel: ReportPanel, requestId: number, runId: string, heads: HeadRef[]): Promise<void> {
    let error: ErrorPayload | null = null;
    try {
      const result = await vscode.commands.executeCommand<MultiAnalysisResult | undefined>('sinkLens.ablateHeads', { runId, heads });
      // Undefined: cancelled or failed; the analyses panel and a notification already say which.
      if (!result) error = { category: 'runtime', code: 'not-run', message: 'the ablation did not finish: see the Sink Analyses panel' };
    } catch (thrown) {
      error = toErrorPayload(thrown);
    }
    panel.post({ type: 'ablationDone', inReplyTo: requestId, error });
  }

  private async exportFromWebview(panel: ReportPanel, kind: 'png' | 'json' | 'csv', name: string, data?: string): Promise<void> {
    let bytes: Uint8Array | undefined;
    if (kind === 'json') {
      const report = panel.runId ? await this.runs.live.report(panel.runId) : undefined;
      if (report) bytes = Buffer.from(JSON.stringify(report, null, 2), 'utf8');
    } else {
      bytes = webviewExportBytes(kind, data);
    }
    await saveExport(name, bytes, (path) => panel.post({ type: 'exportDone', path }));
  }
}
