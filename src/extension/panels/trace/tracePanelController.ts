/**
 * The trace panel's side of the host: keeps the one trace panel (made on demand, adopted when VS
 * Code restores it), shows in it the trace the trace service runs or one it has stored, and answers
 * what its webview asks on the trace channel (open a checkpoint in the Sink Report, export a chart
 * or the table).
 */
import * as vscode from 'vscode';
import { traceWebviewState } from '../../../protocol/channels/trace';
import { readyState } from '../../../protocol/channels/webviewChecks';
import { attempt } from '../../../protocol/checks';
import { Disposable } from '../../dispose';
import type { TraceEvent, TraceService } from '../../traces/traceService';
import { PanelSlot } from '../webviewPanel';
import { saveExport, webviewExportBytes } from '../webviewExport';
import { TracePanel } from './tracePanel';

export class TracePanelController extends Disposable {
  private readonly panel = this._register(new PanelSlot(() => this.connect(TracePanel.create(this.extensionUri, this.log))));

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly traces: TraceService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(traces.onDidChangeTrace((event) => this.follow(event)));
  }

  /** "Show Checkpoint Trace" (explorer, tests): a stored or running trace, with a checkpoint selected. */
  async showTrace(traceId: string, selected?: number): Promise<void> {
    const view = await this.traces.viewOf(traceId);
    if (!view) {
      void vscode.window.showWarningMessage('Sink Lens: that trace is no longer stored.');
      return;
    }
    const panel = this.panel.ensure();
    panel.notify('trace', view);
    if (selected !== undefined) panel.notify('select', { index: selected });
    panel.reveal();
  }

  /** A panel VS Code restores after a reload, with the state its webview kept (checked: it comes from the webview). */
  revive(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    const kept = attempt(readyState(traceWebviewState), state, 'restored trace state') ?? null;
    this.panel.adopt(this.connect(TracePanel.revive(webviewPanel, this.extensionUri, this.log, kept)));
  }

  private connect(panel: TracePanel): TracePanel {
    panel.handle(
      // PNG of a chart or the heat map, or the checkpoint table as CSV: saved where the user says.
      { export: ({ kind, name, data }) => saveExport(name, webviewExportBytes(kind, data)) },
      {
        ready: ({ state }) => {
          const traceId = state?.traceId ?? panel.traceId;
          if (!traceId) return;
          void this.traces.viewOf(traceId).then((view) => (view ? panel.notify('trace', view) : this.log.warn(`trace ${traceId} is no longer stored`)));
        },
        stateChanged: () => undefined,
        openCheckpoint: ({ traceId, index }) => void this.traces.openCheckpoint(traceId, index),
      },
    );
    return panel;
  }

  /** A trace the service runs takes the panel; its checkpoints go to the panel while it shows that trace. */
  private follow(event: TraceEvent): void {
    switch (event.kind) {
      case 'started': {
        const panel = this.panel.ensure();
        panel.notify('trace', event.view);
        panel.reveal();
        break;
      }
      case 'updated':
        this.panelFor(event.view.traceId)?.notify('trace', event.view);
        break;
      case 'failed':
        this.panelFor(event.traceId)?.notify('traceError', { traceId: event.traceId, error: event.error });
        break;
      case 'deleted':
        this.panelFor(event.traceId)?.dispose();
        break;
    }
  }

  private panelFor(traceId: string): TracePanel | undefined {
    const panel = this.panel.open;
    return panel?.traceId === traceId ? panel : undefined;
  }
}
