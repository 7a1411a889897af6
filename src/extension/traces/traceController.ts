/**
 * Checkpoint traces in the extension: "Analyze Checkpoint Trace…" (a folder of checkpoints) and
 * "Open Demo Trace" (the bundled sinklet checkpoints). The trace runs in the analysis worker (the
 * one process that owns onnxruntime sessions) under a cancellable progress notification, one
 * checkpoint at a time, cached per checkpoint in the extension's global storage so that a
 * cancelled trace resumes where it stopped. Results stream into the trace panel and are kept in
 * the workspace's storage (TraceStore), listed in the explorer under "Traces".
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisClient } from '../worker/analysisClient';
import type { AnalysisController } from '../runs/analysisController';
import { readPromptsFile } from '../../engine/promptsFile';
import { readSettings } from '../settings/settings';
import { Disposable } from '../dispose';
import { CancelledError } from '../../protocol/errors';
import { discoverCheckpoints } from '../../engine/trace/checkpoints';
import type { Checkpoint, TraceDocument } from '../../protocol/trace';
import type { RunsTreeProvider } from '../views/runsTree';
import type { FromTraceWebviewMessage, TraceView, TraceWebviewState } from '../../protocol/traceMessages';
import { TracePanel, type TracePanelHost } from '../panels/trace/tracePanel';
import { PanelSlot } from '../panels/webviewPanel';
import { traceIdFor, traceName, type TraceRecord, type TraceStore } from '../storage/traceStore';
import { saveExport, webviewExportBytes } from '../panels/webviewExport';

/** Prompt files looked for in a checkpoint folder, in this order. */
const PROMPT_FILES = ['samples.txt', 'prompts.txt', 'prompts.jsonl', 'samples.jsonl'];

export class TraceController extends Disposable implements TracePanelHost {
  private readonly panel = this._register(new PanelSlot(() => TracePanel.create(this.extensionUri, this)));
  /** Traces shown this session (running or loaded), by id. */
  private readonly views = new Map<string, TraceView>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: AnalysisClient,
    private readonly store: TraceStore,
    private readonly tree: RunsTreeProvider,
    private readonly analysis: AnalysisController,
    private readonly cacheFolder: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  get demoFolder(): string {
    return vscode.Uri.joinPath(this.extensionUri, 'models', 'sinklet', 'checkpoints').fsPath;
  }

  /** "Open Demo Trace": the bundled checkpoints with the bundled probe prompts (cached after the first run). */
  async openDemo(): Promise<TraceDocument | undefined> {
    const folder = this.demoFolder;
    if (!existsSync(folder)) {
      void vscode.window.showErrorMessage(`Sink Lens: the demo checkpoints are not installed (${folder}).`);
      return undefined;
    }
    const prompts = this.readPrompts(vscode.Uri.joinPath(this.extensionUri, 'models', 'sinklet', 'samples.txt').fsPath);
    return prompts ? this.trace(folder, prompts) : undefined;
  }

  /** "Analyze Checkpoint Trace…": pick a folder, find its probe prompts (or ask), run the trace. */
  async analyzeFolder(folderArgument?: vscode.Uri): Promise<TraceDocument | undefined> {
    let folder = folderArgument?.fsPath;
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Sink Lens: choose a folder of training checkpoints',
        openLabel: 'Trace Checkpoints',
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      folder = picked?.[0]?.fsPath;
    }
    if (!folder) return undefined;
    const promptsFile = PROMPT_FILES.map((name) => join(folder, name)).find((path) => existsSync(path)) ?? (await this.askForPrompts());
    if (!promptsFile) return undefined;
    const prompts = typeof promptsFile === 'string' ? this.readPrompts(promptsFile) : promptsFile;
    return prompts ? this.trace(folder, prompts) : undefined;
  }

  async showTrace(traceId: string, selected?: number): Promise<void> {
    const view = await this.viewOf(traceId);
    if (!view) {
      void vscode.window.showWarningMessage('Sink Lens: that trace is no longer stored.');
      return;
    }
    const panel = this.panel.ensure();
    panel.post({ type: 'trace', view });
    if (selected !== undefined) panel.post({ type: 'select', index: selected });
    panel.reveal();
  }

  /** "Delete Trace" (explorer): removes it from the store and the explorer, and closes the trace panel if it shows it. */
  async deleteTrace(traceId: string): Promise<void> {
    await this.store.delete(traceId);
    this.views.delete(traceId);
    this.currentPanelFor(traceId)?.dispose();
    this.tree.refresh();
  }

  revive(webviewPanel: vscode.WebviewPanel, state: TraceWebviewState | null): void {
    this.panel.adopt(TracePanel.revive(webviewPanel, this.extensionUri, this, state));
  }

  onTraceWebviewMessage(panel: TracePanel, message: FromTraceWebviewMessage): void {
    switch (message.type) {
      case 'ready': {
        const traceId = message.state?.traceId ?? panel.traceId;
        if (!traceId) break;
        void this.viewOf(traceId).then((view) => (view ? panel.post({ type: 'trace', view }) : this.log.warn(`trace ${traceId} is no longer stored`)));
        break;
      }
      case 'openCheckpoint':
        void this.openCheckpoint(message.traceId, message.index);
        break;
      case 'export':
        // PNG of a chart or the heat map, or the checkpoint table as CSV: saved where the user says.
        void saveExport(message.name, webviewExportBytes(message.kind, message.data), (path) => panel.post({ type: 'exportDone', path }));
        break;
      case 'stateChanged':
        break;
    }
  }

  /** Runs the normal single-prompt analysis of the first probe prompt on one checkpoint (the Sink Report). */
  async openCheckpoint(traceId: string, index: number) {
    const view = await this.viewOf(traceId);
    const checkpoint = view?.trace.checkpoints[index];
    if (!view || !checkpoint) return undefined;
    return this.analysis.analyzeText(view.trace.prompts[0], `${view.name} · step ${checkpoint.step}`, {
      modelPath: checkpoint.path,
      addBos: view.trace.bos ?? undefined,
    });
  }

  /** Runs (or resumes from the cache) a trace and shows it as it arrives. */
  async trace(folder: string, prompts: string[]): Promise<TraceDocument | undefined> {
    let checkpoints: Checkpoint[];
    try {
      checkpoints = discoverCheckpoints(folder);
    } catch (error) {
      this.analysis.showError(error);
      return undefined;
    }
    const settings = readSettings();
    const traceId = traceIdFor(folder, prompts);
    const name = traceName(folder);
    const view: TraceView = {
      traceId,
      name,
      folder,
      total: checkpoints.length,
      done: false,
      trace: { schema: 'sink-lens/trace@1', prompts, epsilon: settings.epsilon, bos: settings.addBos, checkpoints: [] },
    };
    this.views.set(traceId, view);
    const panel = this.panel.ensure();
    panel.post({ type: 'trace', view });
    panel.reveal();
    let trace: TraceDocument;
    try {
      trace = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sink Lens: tracing ${name}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const subscription = token.onCancellationRequested(() => abort.abort());
          progress.report({ message: `${checkpoints.length} checkpoints, ${prompts.length} probe prompt${prompts.length === 1 ? '' : 's'}…` });
          try {
            const options = { prompts, device: settings.device, epsilon: settings.epsilon, addBos: settings.addBos, cacheFolder: this.cacheFolder };
            return await this.client.request('trace', { checkpoints, options }, {
              signal: abort.signal,
              onProgress: ({ checkpoint, index, total, cached }) => {
                view.trace.checkpoints = [...view.trace.checkpoints, checkpoint];
                this.postView(view);
                progress.report({
                  message: `step ${checkpoint.step}: checkpoint ${index + 1} of ${total}${cached ? ' (cached)' : ''}`,
                  increment: 100 / Math.max(1, total),
                });
              },
            });
          } finally {
            subscription.dispose();
          }
        },
      );
    } catch (error) {
      const measured = view.trace.checkpoints.length;
      this.currentPanelFor(traceId)?.post({
        type: 'traceError',
        traceId,
        message: error instanceof CancelledError ? `Cancelled after ${measured} of ${view.total} checkpoints; run the trace again to resume.` : String((error as Error).message ?? error),
      });
      if (error instanceof CancelledError) {
        void vscode.window.showInformationMessage(`Sink Lens: trace cancelled. The ${measured} checkpoint${measured === 1 ? '' : 's'} measured are cached: running it again resumes there.`);
      } else {
        this.analysis.showError(error);
      }
      return undefined;
    }
    view.trace = trace;
    view.done = true;
    // Deleted from the explorer while it ran (a re-run of a stored trace): not stored again.
    if (this.views.get(traceId) !== view) return trace;
    this.postView(view);
    const record: TraceRecord = {
      id: traceId,
      folder,
      name,
      checkpoints: trace.checkpoints.length,
      prompts: prompts.length,
      createdAt: new Date().toISOString(),
      executionProvider: trace.checkpoints.at(-1)?.executionProvider ?? 'cpu',
    };
    try {
      await this.store.add(record, trace);
    } catch (error) {
      this.log.error(`could not store trace ${traceId}: ${String(error)}`);
    }
    this.tree.refresh();
    return trace;
  }

  // ---- internals --------------------------------------------------------------------------

  private readPrompts(path: string): string[] | undefined {
    try {
      return readPromptsFile(path).map((input) => (input.kind === 'text' ? input.text : ''));
    } catch (error) {
      this.analysis.showError(error);
      return undefined;
    }
  }

  /** No prompts file in the folder: choose one, type one prompt, or use the demo's probes. */
  private async askForPrompts(): Promise<string | string[] | undefined> {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Choose a prompts file…', description: 'one probe prompt per line, or JSONL', value: 'file' as const },
        { label: 'Type a probe prompt…', value: 'type' as const },
        { label: "Use the demo's probe prompts", description: 'models/sinklet/samples.txt (made for the sinklet demo)', value: 'demo' as const },
      ],
      { title: 'Sink Lens: the folder has no samples.txt or prompts.txt: which probe prompts?' },
    );
    if (!choice) return undefined;
    if (choice.value === 'demo') return vscode.Uri.joinPath(this.extensionUri, 'models', 'sinklet', 'samples.txt').fsPath;
    if (choice.value === 'type') {
      const text = await vscode.window.showInputBox({ title: 'Sink Lens: probe prompt for every checkpoint', prompt: 'The same prompt goes through every checkpoint.' });
      return text?.trim() ? [text] : undefined;
    }
    const picked = await vscode.window.showOpenDialog({ title: 'Sink Lens: probe prompts', openLabel: 'Use Prompts', canSelectMany: false, filters: { Prompts: ['txt', 'jsonl', 'ndjson'] } });
    return picked?.[0]?.fsPath;
  }

  private async viewOf(traceId: string): Promise<TraceView | undefined> {
    const live = this.views.get(traceId);
    if (live) return live;
    const record = await this.store.get(traceId);
    const trace = record ? await this.store.load(traceId) : undefined;
    if (!record || !trace) return undefined;
    const view: TraceView = { traceId, name: record.name, folder: record.folder, total: trace.checkpoints.length, done: true, trace };
    this.views.set(traceId, view);
    return view;
  }

  private postView(view: TraceView): void {
    this.currentPanelFor(view.traceId)?.post({ type: 'trace', view });
  }

  private currentPanelFor(traceId: string): TracePanel | undefined {
    const panel = this.panel.open;
    return panel?.traceId === traceId ? panel : undefined;
  }


}
