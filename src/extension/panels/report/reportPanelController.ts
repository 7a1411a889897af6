/**
 * The Sink Report panel's side of the host: keeps the one report panel (made on demand, adopted
 * when VS Code restores it) and decides what it shows: the run the user asked for last (starting,
 * done, cancelled or failed), or the stored run they chose. Its webview draws that and
 * only that; whenever it says it is ready (new, restored after a reload, or shown again after being
 * hidden) it gets the run again from here, so a view kept in the webview can never bring back a run
 * that is no longer the panel's. Also answers what the webview asks on the report channel (an
 * attention map, an ablation, an export) and tells (the token in the editor, the toolbar's commands).
 */
import * as vscode from 'vscode';
import type { MultiAnalysisResult } from '../../../protocol/channels/worker';
import { reportWebviewState, type ReportWebviewState, type RunAsked } from '../../../protocol/channels/report';
import { readyState } from '../../../protocol/channels/webviewChecks';
import { attempt } from '../../../protocol/checks';
import { SinkLensError, type ErrorPayload } from '../../../protocol/errors';
import { toJsonReport } from '../../../protocol/runReport';
import { Disposable } from '../../dispose';
import { bundledModelPath } from '../../models/modelPaths';
import type { LiveRun } from '../../runs/liveRuns';
import { revealTokenInEditor } from '../../runs/revealToken';
import type { RunEvent, RunService } from '../../runs/runService';
import type { RunStore } from '../../storage/runStore';
import { PanelSlot } from '../webviewPanel';
import { saveExport, webviewExportBytes } from '../webviewExport';
import { ReportPanel } from './reportPanel';
import { runAsked } from './runAsked';

/** What the panel shows: a run (starting, done or stored), or one that ended without a report. */
interface PanelRun {
  runId: string;
  asked: RunAsked | null;
  /** Why it ended without a report (cancelled, failed); null while it runs and once it is done. */
  ended: ErrorPayload | null;
}

export class ReportPanelController extends Disposable {
  private readonly panel = this._register(new PanelSlot(() => this.connect(ReportPanel.create(this.extensionUri, this.log))));
  private shown: PanelRun | null = null;
  /** The run started last: its failure takes the panel even when an earlier run's report is on it. */
  private lastStarted: string | null = null;

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
    // A new panel (the last one was closed) has nothing yet, even when the run is the one it showed.
    if (panel.runId !== target.runId || this.shown?.runId !== target.runId || this.shown.ended) {
      this.show({ runId: target.runId, asked: this.askedOf(live), ended: null });
      this.replay(panel, live);
    }
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
          return saveExport(name, report ? Buffer.from(JSON.stringify(toJsonReport(report), null, 2), 'utf8') : undefined);
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
          if (command === 'openDemoPrompts') void vscode.commands.executeCommand('sinkLens.openDemoPrompts');
        },
      },
    );
    return panel;
  }

  /**
   * A webview that is ready (new, restored after a reload, or shown again after being hidden) gets
   * what the panel shows now: the host's run, else (a panel restored after a reload) the run its
   * kept state names. The webview keeps its view of that run only if it is the same run.
   */
  private restore(panel: ReportPanel, state: ReportWebviewState | null): void {
    const runId = this.shown?.runId ?? state?.runId ?? panel.runId;
    this.log.info(`report panel ready${runId ? ` for run ${runId}` : ''}`);
    if (!runId) return;
    if (this.shown?.ended) {
      if (this.shown.asked) panel.notify('runStarted', this.shown.asked);
      panel.notify('runError', { runId: this.shown.runId, error: this.shown.ended });
      return;
    }
    void this.runs.live.get(runId).then(
      (live) => {
        if (!live) return this.log.warn(`run ${runId} is no longer stored`);
        // Another run may have taken the panel while this one was read from the store.
        if (this.shown && this.shown.runId !== runId) return;
        this.show({ runId, asked: this.askedOf(live), ended: null });
        this.replay(panel, live);
      },
      (error) => this.log.error(`could not restore run ${runId}: ${String(error)}`),
    );
  }

  /**
   * A run the service runs. The run started last takes the panel (showing what was asked) until
   * its failure, or until an earlier queued run's report arrives (then that takes it, and the later
   * one takes it back with its own). Progress goes to the panel only while it shows its run.
   */
  private follow(event: RunEvent): void {
    switch (event.kind) {
      case 'started': {
        const asked = runAsked(event.request, this.demoModelPath());
        this.lastStarted = asked.runId;
        const panel = this.panel.ensure();
        this.show({ runId: asked.runId, asked, ended: null });
        panel.reveal();
        panel.notify('runStarted', asked);
        break;
      }
      case 'progress':
        this.panelFor(event.runId)?.notify('runProgress', { runId: event.runId, message: event.message });
        break;
      case 'finished': {
        const { runId } = event.run;
        const panel = this.panel.open;
        if (this.shown?.runId !== runId) {
          const live = this.runs.live.peek(runId);
          this.show({ runId, asked: live ? this.askedOf(live) : null, ended: null });
          if (this.shown?.asked) panel?.notify('runStarted', this.shown.asked);
        }
        panel?.notify('runReport', event.run);
        break;
      }
      case 'failed':
        if (this.shown?.runId !== event.runId && this.lastStarted !== event.runId) break;
        this.show({ runId: event.runId, asked: this.shown?.runId === event.runId ? this.shown.asked : null, ended: event.error });
        this.panel.open?.notify('runError', { runId: event.runId, error: event.error });
        break;
    }
  }

  /** What the panel shows from now on; its tab title says when that ended without a report. */
  private show(run: PanelRun): void {
    this.shown = run;
    const panel = this.panel.open;
    if (!panel) return;
    panel.runId = run.runId;
    panel.panel.title = run.ended ? `Sink Report: ${run.ended.category === 'cancelled' ? 'cancelled' : 'failed'}` : 'Sink Report';
  }

  /** The panel, when it shows this run (a run the user navigated away from still goes into storage). */
  private panelFor(runId: string): ReportPanel | undefined {
    return this.shown?.runId === runId && !this.shown.ended ? this.panel.open : undefined;
  }

  /** A run as it is now: what was asked, then its report once there is one (until then it follows when it arrives). */
  private replay(panel: ReportPanel, live: LiveRun): void {
    panel.notify('runStarted', this.askedOf(live));
    if (live.report) panel.notify('runReport', { runId: live.request.runId, report: live.report });
  }

  private askedOf(live: LiveRun): RunAsked {
    return runAsked(live.request, this.demoModelPath());
  }

  private demoModelPath(): string {
    return bundledModelPath(this.extensionUri.fsPath);
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
