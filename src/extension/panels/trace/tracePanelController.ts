/**
 * The trace panel's side of the host: keeps the one trace panel (made on demand, adopted when VS
 * Code restores it), shows in it the trace the trace service runs or one it has stored, and answers
 * what its webview asks (open a checkpoint in the Sink Report, export a chart or the table).
 */
import * as vscode from 'vscode';
import { readyState } from '../../../protocol/channels/report';
import { traceWebviewState } from '../../../protocol/channels/trace';
import { attempt } from '../../../protocol/checks';
import type { FromTraceWebviewMessage } from '../../../protocol/traceMessages';
import { Disposable } from '../../dispose';
import type { TraceEvent, TraceService } from '../../traces/traceService';
import { PanelSlot } from '../webviewPanel';
import { saveExport, webviewExportBytes } from '../webviewExport';
import { TracePanel, type TracePanelHost } from './tracePanel';

export class TracePanelController extends Disposable implements TracePanelHost {
  private readonly panel = this._register(new PanelSlot(() => TracePanel.create(this.extensionUri, this)));

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
    panel.post({ type: 'trace', view });
    if (selected !== undefined) panel.post({ type: 'select', index: selected });
    panel.reveal();
  }

  /** A panel VS Code restores after a reload, with the state its webview kept (checked: it comes from the webview). */
  revive(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    this.panel.adopt(TracePanel.revive(webviewPanel, this.extensionUri, this, attempt(readyState(traceWebviewState), state, 'restored trace state') ?? null));
  }

  onTraceWebviewMessage(panel: TracePanel, message: FromTraceWebviewMessage): void {
    switch (message.type) {
      case 'ready': {
        const traceId = message.state?.traceId ?? panel.traceId;
        if (!traceId) break;
        void this.traces.viewOf(traceId).then((view) => (view ? panel.post({ type: 'trace', view }) : this.log.warn(`trace ${traceId} is no longer stored`)));
        break;
      }
      case 'openCheckpoint':
        void this.traces.openCheckpoint(message.traceId, message.index);
        break;
      case 'export':
        // PNG of a chart or the heat map, or the checkpoint table as CSV: saved where the user says.
        void saveExport(message.name, webviewExportBytes(message.kind, message.data), (path) => panel.post({ type: 'exportDone', path }));
        break;
      case 'stateChanged':
        break;
    }
  }

  /** A trace the service runs takes the panel; its checkpoints go to the panel while it shows that trace. */
  private follow(event: TraceEvent): void {
    switch (event.kind) {
      case 'started': {
        const panel = this.panel.ensure();
        panel.post({ type: 'trace', view: event.view });
        panel.reveal();
        break;
      }
      case 'updated':
        this.panelFor(event.view.traceId)?.post({ type: 'trace', view: event.view });
        break;
      case 'failed':
        this.panelFor(event.traceId)?.post({ type: 'traceError', traceId: event.traceId, message: event.error.message });
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
