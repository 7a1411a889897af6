/**
 * The Sink Report panel's side of the host: keeps the one report panel (made on demand, adopted
 * when VS Code restores it), streams into it the run it shows as the run service reports its parts,
 * replays a stored run into it, and answers what its webview asks on the report channel (an
 * attention map, an ablation, an export) and tells (the token in the editor, the toolbar's commands).
 */
import * as vscode from 'vscode';
import type { MultiAnalysisResult } from '../../../protocol/channels/worker';
import { reportWebviewState, type ReportWebviewState } from '../../../protocol/channels/report';
import { readyState } from '../../../protocol/channels/webviewChecks';
import { attempt } from '../../../protocol/checks';
import { SinkLensError } from '../../../protocol/errors';
import { Disposable } from '../../dispose';
import type { LiveRun } from '../../runs/liveRuns';
import { revealTokenInEditor } from '../../runs/revealToken';
import type { RunEvent, RunService } from '../../runs/runService';
import type { RunStore } from '../../storage/runStore';
import { PanelSlot } from '../webviewPanel';
import { saveExport, webviewExportBytes } from '../webviewExport';
import { ReportPanel } from './reportPanel';

export class ReportPanelController extends Disposable {
  private readonly panel = this._register(new PanelSlot(() => this.connect(ReportPanel.create(this.extensionUri, this.log))));

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
    const kept = attempt(readyState(reportWebviewState), state, 'restored report state') ?? null;
    this.panel.adopt(this.connect(ReportPanel.revive(webviewPanel, this.extensionUri, this.log, kept)));
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
    panel.notify('focus', { runId: target.runId, ...definedOnly({ layer: target.layer, head: target.head, token: target.token }) });
  }

  /** What the panel's webview asks and tells. */
  private connect(panel: ReportPanel): ReportPanel {
    panel.handle(
      {
        attentionMap: ({ runId, layer, head }) => this.runs.attentionMap(runId, layer, head),
        ablateHeads: (target) => this.ablateHeads(target),
        export: async ({ kind, name, data }) => {
          if (kind !== 'json') return saveExport(name, webviewExportBytes(kind, data));
          const report = panel.runId ? await this.runs.live.report(panel.runId) : undefined;
          return saveExport(name, report ? Buffer.from(JSON.stringify(report, null, 2), 'utf8') : undefined);
        },
      },
      {
        ready: ({ state }) => this.restore(panel, state),
        stateChanged: () => undefined,
        revealToken: ({ runId, token }) => void revealTokenInEditor(this.store, runId, token),
        command: ({ command }) => {
          if (command === 'selectModel') void vscode.commands.executeCommand('sinkLens.selectModel');
          if (command === 'openSettings') void vscode.commands.executeCommand('workbench.action.openSettings', 'sinkLens');
          if (command === 'rerun' && panel.runId) void this.runs.rerun(panel.runId);
        },
      },
    );
    return panel;
  }

  /** A webview that is ready again (new, or restored after a reload) gets its run back, focused as it was. */
  private restore(panel: ReportPanel, state: ReportWebviewState | null): void {
    const runId = state?.runId ?? panel.runId;
    this.log.info(`report panel ready${runId ? ` for run ${runId}` : ''}`);
    if (!runId) return;
    void this.runs.live.get(runId).then(
      (live) => (live ? this.replay(panel, live, state ?? undefined) : this.log.warn(`run ${runId} is no longer stored`)),
      (error) => this.log.error(`could not restore run ${runId}: ${String(error)}`),
    );
  }

  /** A run the service streams: a new one takes the panel; its parts go to the panel while it shows that run. */
  private follow(event: RunEvent): void {
    switch (event.kind) {
      case 'started':
        this.panel.ensure().reveal();
        break;
      case 'summary':
        this.panel.open?.notify('runBegin', event.summary);
        break;
      case 'layer':
        this.panelFor(event.layer.runId)?.notify('runLayer', event.layer);
        break;
      case 'received':
        this.panelFor(event.received.runId)?.notify('runReceived', event.received);
        break;
      case 'ended':
        this.panelFor(event.runId)?.notify('runEnd', { runId: event.runId });
        break;
      case 'failed':
        // A panel that shows no run yet says so; one that shows another run ignores it (the webview checks).
        this.panel.open?.notify('runError', { runId: event.runId, error: event.error });
        break;
    }
  }

  /** The panel, when it shows this run (a run the user navigated away from keeps streaming into storage only). */
  private panelFor(runId: string): ReportPanel | undefined {
    const panel = this.panel.open;
    return panel?.runId === runId ? panel : undefined;
  }

  private replay(panel: ReportPanel, live: LiveRun, state?: ReportWebviewState): void {
    const { summary } = live;
    if (!summary) return;
    panel.notify('runBegin', summary);
    for (const layer of live.layers) panel.notify('runLayer', layer);
    live.received.forEach((received, layer) => received && panel.notify('runReceived', { runId: summary.runId, layer, received }));
    if (live.done) panel.notify('runEnd', { runId: summary.runId });
    if (state) panel.notify('focus', { runId: summary.runId, layer: state.layer, head: state.head, ...definedOnly({ token: state.focusedToken ?? undefined }) });
  }

  /**
   * "Ablate Selected Heads": the Sink Analyses panel runs and shows it (the same path as the layer
   * sweep); the report panel only hears whether it did, so that its button can say so.
   */
  private async ablateHeads(target: { runId: string; heads: { layer: number; head: number }[] }): Promise<null> {
    const result = await vscode.commands.executeCommand<MultiAnalysisResult | undefined>('sinkLens.ablateHeads', target);
    // Undefined: cancelled or failed; the analyses panel and a notification already say which.
    if (!result) throw new SinkLensError('runtime', 'not-run', 'the ablation did not finish: see the Sink Analyses panel');
    return null;
  }
}

/** The fields that have a value (an absent optional field stays absent on the wire). */
function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
