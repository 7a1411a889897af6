/**
 * Checkpoint traces in the extension: "Analyze Checkpoint Trace…" (a folder of checkpoints) and
 * "Open Demo Trace" (the bundled sinklet checkpoints). The trace runs in the analysis worker (the
 * one process that owns onnxruntime sessions) under a cancellable progress notification, one
 * checkpoint at a time, cached per checkpoint in the extension's global storage so that a
 * cancelled trace resumes where it stopped. The trace panel follows it through onDidChangeTrace;
 * finished traces are kept in the workspace's storage (TraceStore), listed in the explorer.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { discoverCheckpoints } from '../../engine/trace/checkpoints';
import { CancelledError, toErrorPayload, type ErrorPayload } from '../../protocol/errors';
import type { Checkpoint, TraceDocument } from '../../protocol/trace';
import type { TraceView } from '../../protocol/channels/trace';
import { Disposable } from '../dispose';
import type { ErrorNotices } from '../notices/errorNotices';
import { withCancellableProgress } from '../notices/progress';
import type { RunService } from '../runs/runService';
import { readSettings } from '../settings/settings';
import { traceIdFor, traceName, type TraceRecord, type TraceStore } from '../storage/traceStore';
import type { AnalysisClient } from '../worker/analysisClient';
import { askForPrompts, promptsFileIn, readPrompts } from './tracePrompts';

/** What the trace panel follows: a trace starting, growing by a checkpoint or finishing, failing, deleted. */
export type TraceEvent = { kind: 'started'; view: TraceView } | { kind: 'updated'; view: TraceView } | { kind: 'failed'; traceId: string; error: ErrorPayload } | { kind: 'deleted'; traceId: string };

export interface TraceServiceParts {
  extensionUri: vscode.Uri;
  client: AnalysisClient;
  store: TraceStore;
  runs: RunService;
  notices: ErrorNotices;
  log: vscode.LogOutputChannel;
  /** Where each checkpoint's result is cached (global storage: shared by workspaces). */
  cacheFolder: string;
  /** Called after a trace is stored or deleted (the explorer refreshes). */
  onDidStore(): void;
}

export class TraceService extends Disposable {
  private readonly events = this._register(new vscode.EventEmitter<TraceEvent>());
  readonly onDidChangeTrace = this.events.event;
  /** Traces shown this session (running or loaded), by id. */
  private readonly views = new Map<string, TraceView>();

  constructor(private readonly parts: TraceServiceParts) {
    super();
  }

  private get demoPrompts(): string {
    return vscode.Uri.joinPath(this.parts.extensionUri, 'models', 'sinklet', 'samples.txt').fsPath;
  }

  /** "Open Demo Trace": the bundled checkpoints with the bundled probe prompts (cached after the first run). */
  async openDemo(): Promise<TraceDocument | undefined> {
    const folder = vscode.Uri.joinPath(this.parts.extensionUri, 'models', 'sinklet', 'checkpoints').fsPath;
    if (!existsSync(folder)) {
      void vscode.window.showErrorMessage(`Sink Lens: the demo checkpoints are not installed (${folder}).`);
      return undefined;
    }
    const prompts = readPrompts(this.demoPrompts, this.parts.notices);
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
    const promptsFile = promptsFileIn(folder) ?? (await askForPrompts(this.demoPrompts));
    if (!promptsFile) return undefined;
    const prompts = typeof promptsFile === 'string' ? readPrompts(promptsFile, this.parts.notices) : promptsFile;
    return prompts ? this.trace(folder, prompts) : undefined;
  }

  /** "Delete Trace" (explorer): removes it from the store and the explorer (the panel closes if it shows it). */
  async deleteTrace(traceId: string): Promise<void> {
    await this.parts.store.delete(traceId);
    this.views.delete(traceId);
    this.events.fire({ kind: 'deleted', traceId });
    this.parts.onDidStore();
  }

  /** Runs the normal single-prompt analysis of the first probe prompt on one checkpoint (the Sink Report). */
  async openCheckpoint(traceId: string, index: number) {
    const view = await this.viewOf(traceId);
    const checkpoint = view?.trace.checkpoints[index];
    if (!view || !checkpoint) return undefined;
    return this.parts.runs.analyzeText(view.trace.prompts[0], `${view.name} · step ${checkpoint.step}`, {
      modelPath: checkpoint.path,
      addBos: view.trace.bos ?? undefined,
    });
  }

  /** A trace of this session, else a stored one. */
  async viewOf(traceId: string): Promise<TraceView | undefined> {
    const live = this.views.get(traceId);
    if (live) return live;
    const record = await this.parts.store.get(traceId);
    const trace = record ? await this.parts.store.load(traceId) : undefined;
    if (!record || !trace) return undefined;
    const view: TraceView = { traceId, name: record.name, folder: record.folder, total: trace.checkpoints.length, done: true, trace };
    this.views.set(traceId, view);
    return view;
  }

  /** Runs (or resumes from the cache) a trace and reports it as it arrives. */
  async trace(folder: string, prompts: string[]): Promise<TraceDocument | undefined> {
    const { client, notices } = this.parts;
    let checkpoints: Checkpoint[];
    try {
      checkpoints = discoverCheckpoints(folder);
    } catch (error) {
      notices.show(error);
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
    this.events.fire({ kind: 'started', view });
    let trace: TraceDocument;
    try {
      trace = await withCancellableProgress(`Sink Lens: tracing ${name}`, (report, signal) => {
        report(`${checkpoints.length} checkpoints, ${prompts.length} probe prompt${prompts.length === 1 ? '' : 's'}…`);
        const options = { prompts, device: settings.device, epsilon: settings.epsilon, addBos: settings.addBos, cacheFolder: this.parts.cacheFolder };
        return client.request(
          'trace',
          { checkpoints, options },
          {
            signal,
            onProgress: ({ checkpoint, index, total, cached }) => {
              view.trace.checkpoints = [...view.trace.checkpoints, checkpoint];
              this.events.fire({ kind: 'updated', view });
              report(`step ${checkpoint.step}: checkpoint ${index + 1} of ${total}${cached ? ' (cached)' : ''}`, 100 / Math.max(1, total));
            },
          },
        );
      });
    } catch (error) {
      this.failed(view, error);
      return undefined;
    }
    view.trace = trace;
    view.done = true;
    // Deleted from the explorer while it ran (a re-run of a stored trace): not stored again.
    if (this.views.get(traceId) !== view) return trace;
    this.events.fire({ kind: 'updated', view });
    await this.keep(view, trace);
    return trace;
  }

  private failed(view: TraceView, error: unknown): void {
    const measured = view.trace.checkpoints.length;
    const cancelled = error instanceof CancelledError;
    const payload = cancelled ? { ...toErrorPayload(error), message: `Cancelled after ${measured} of ${view.total} checkpoints; run the trace again to resume.` } : toErrorPayload(error);
    this.events.fire({ kind: 'failed', traceId: view.traceId, error: payload });
    if (cancelled) {
      void vscode.window.showInformationMessage(`Sink Lens: trace cancelled. The ${measured} checkpoint${measured === 1 ? '' : 's'} measured are cached: running it again resumes there.`);
    } else {
      this.parts.notices.show(error);
    }
  }

  private async keep(view: TraceView, trace: TraceDocument): Promise<void> {
    const record: TraceRecord = {
      id: view.traceId,
      folder: view.folder,
      name: view.name,
      checkpoints: trace.checkpoints.length,
      prompts: trace.prompts.length,
      createdAt: new Date().toISOString(),
      executionProvider: trace.checkpoints.at(-1)?.executionProvider ?? 'cpu',
    };
    try {
      await this.parts.store.add(record, trace);
    } catch (error) {
      this.parts.log.error(`could not store trace ${view.traceId}: ${String(error)}`);
    }
    this.parts.onDidStore();
  }
}
