/**
 * Runs one prompt in the analysis worker: "Analyze Prompt Sinks", its re-runs, token ids and a
 * trace checkpoint's probe prompt all come here. A run goes under a cancellable progress
 * notification, its report arrives whole into a LiveRun (which the report panel follows through onDidChangeRun),
 * shades the prompt in the editor, shows the device on the status bar, and is stored with its
 * record for the explorer. A prompt over sinkLens.maxTokens is offered truncation (longPrompt.ts).
 */
import * as vscode from 'vscode';
import type { RunRequest } from '../../protocol/channels/worker';
import { SinkLensError, toErrorPayload, type ErrorPayload } from '../../protocol/errors';
import type { AttentionMapPayload, ReportArrays, RunReport } from '../../protocol/runReport';
import type { TokenDecorations } from '../decorations/tokenDecorations';
import { Disposable } from '../dispose';
import { configuredModelPath, modelDisplayName, modelExists } from '../models/modelPaths';
import type { ErrorNotices } from '../notices/errorNotices';
import { withCancellableProgress } from '../notices/progress';
import { askLongPrompt, presetChoice, tooLong, type LongPromptChoice } from '../prompts/longPrompt';
import type { PromptSpan } from '../prompts/promptSpan';
import { promptUnderCursor, type EditorTracker } from '../prompts/promptUnderCursor';
import { readSettings } from '../settings/settings';
import { newRunId } from '../storage/runIds';
import type { RunRecord, RunStore } from '../storage/runStore';
import type { SinkStatusBar } from '../views/statusBar';
import type { AnalysisClient } from '../worker/analysisClient';
import { LiveRuns, type LiveRun } from './liveRuns';

export interface AnalyzeResult {
  runId: string;
  report: ReportArrays;
  prompt: { kind: PromptSpan['kind']; start: number; end: number; text: string };
}

/** What the report panel follows: a run starting (what was asked), how it gets on, its report (once, whole) or its failure. */
export type RunEvent =
  { kind: 'started'; request: RunRequest } | { kind: 'progress'; runId: string; message: string } | { kind: 'finished'; run: RunReport } | { kind: 'failed'; runId: string; error: ErrorPayload };

/** Where a run's prompt sits in an editor, to shade it and to find it again. */
interface PromptTarget {
  document: vscode.TextDocument;
  offsets: number[];
  kind: PromptSpan['kind'];
  start: number;
  end: number;
}

interface RunOverrides {
  addBos?: boolean;
  modelPath?: string;
  truncate?: boolean;
  maxTokens?: number;
  longPrompt?: LongPromptChoice;
  ids?: number[];
}

export interface RunServiceParts {
  extensionPath: string;
  client: AnalysisClient;
  store: RunStore;
  statusBar: SinkStatusBar;
  decorations: TokenDecorations;
  notices: ErrorNotices;
  log: vscode.LogOutputChannel;
  /** The editor a command means, also when a panel has the focus. */
  editors: EditorTracker;
  /** Called after a run is stored or deleted (the explorer refreshes). */
  onDidStore(): void;
}

export class RunService extends Disposable {
  private readonly events = this._register(new vscode.EventEmitter<RunEvent>());
  readonly onDidChangeRun = this.events.event;
  readonly live: LiveRuns;
  private lastFallbackReason: string | null = null;

  constructor(private readonly parts: RunServiceParts) {
    super();
    this.live = new LiveRuns(parts.store, () => readSettings().device);
    parts.statusBar.setModel(modelDisplayName(this.modelPath()));
  }

  modelPath(): string {
    return configuredModelPath(this.parts.extensionPath);
  }

  /**
   * "Analyze Prompt Sinks". Returns the report (tests use it); undefined when nothing ran.
   * `argument` may preset the answer to the long-prompt question (`{ longPrompt: 'truncate' }`, for
   * tests); any other argument (a menu's Uri) is ignored.
   */
  analyzePromptUnderCursor(argument?: unknown): Promise<AnalyzeResult | undefined> {
    // Run from a focused panel (the Sink Report beside the prompt), it means the editor last used.
    const editor = this.parts.editors.activeOrLast();
    const found = promptUnderCursor(editor);
    if (!editor || !found) return Promise.resolve(undefined);
    const { document, span, source } = found;
    this.parts.decorations.flash(editor, span.start, span.end);
    const target = { document, offsets: span.offsets, kind: span.kind, start: span.start, end: span.end };
    return this.run(span.text, source, target, { longPrompt: presetChoice(argument) });
  }

  /** Re-runs a stored run's prompt, optionally without BOS. */
  async rerun(runId: string, overrides: { addBos?: boolean } = {}): Promise<AnalyzeResult | undefined> {
    const { store } = this.parts;
    const record = await store.get(runId);
    if (!record) {
      void vscode.window.showWarningMessage('Sink Lens: that run is gone.');
      return undefined;
    }
    if (record.prompt.kind === 'ids') return this.run(`[${record.prompt.ids.join(', ')}]`, record.prompt.source, undefined, { ids: record.prompt.ids, addBos: false, modelPath: record.modelPath });
    const document = record.documentUri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === record.documentUri) : undefined;
    const stored = await store.load(runId);
    // Decorate again only when the prompt's source text is still where it was.
    const offsets = stored?.offsets;
    const stillThere = document && offsets && stored?.sourceText != null && document.getText().slice(offsets[0], offsets.at(-1)) === stored.sourceText;
    const target = stillThere ? { document, offsets, kind: 'selection' as const, start: offsets[0], end: offsets.at(-1)! } : undefined;
    return this.run(record.prompt.text, record.prompt.source, target, { addBos: overrides.addBos ?? record.options.addBos, modelPath: record.modelPath });
  }

  /** Analyses token ids exactly as given (no BOS; no tokenizer needed) through the normal run path. */
  analyzeIds(ids: number[], source: string): Promise<AnalyzeResult | undefined> {
    return this.run(`[${ids.join(', ')}]`, source, undefined, { ids, addBos: false });
  }

  /** Analyses a text that is not in an editor (a trace checkpoint's probe prompt) through the normal run path. */
  analyzeText(text: string, source: string, overrides: { addBos?: boolean; modelPath?: string } = {}): Promise<AnalyzeResult | undefined> {
    return this.run(text, source, undefined, overrides);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.parts.store.delete(runId);
    this.live.forget(runId);
    this.parts.onDidStore();
  }

  /** Applies the stored runs' limits now (the size setting changed). */
  async pruneStoredRuns(): Promise<void> {
    this.droppedStoredRuns(await this.parts.store.prune());
    this.parts.onDidStore();
  }

  private droppedStoredRuns(ids: string[]): void {
    for (const id of ids) this.live.forget(id);
    if (ids.length) this.parts.log.info(`deleted the ${ids.length} oldest stored run(s) to stay within sinkLens.storedRuns.maxMegabytes: ${ids.join(', ')}`);
  }

  /** One head's (or the head mean's) attention map of a run's layer, computed in the worker. */
  async attentionMap(runId: string, layer: number, head: number): Promise<AttentionMapPayload> {
    const live = await this.live.get(runId);
    if (!live) throw new SinkLensError('usage', 'no-run', 'this run is no longer stored');
    const map = await this.parts.client.request('attentionMap', { ...live.request, runId, layer, head });
    return { ...map, runId };
  }

  private async run(text: string, source: string, target: PromptTarget | undefined, overrides: RunOverrides = {}): Promise<AnalyzeResult | undefined> {
    const { statusBar, log } = this.parts;
    const settings = readSettings();
    const modelPath = overrides.modelPath ?? this.modelPath();
    statusBar.setModel(modelDisplayName(modelPath));
    const runId = newRunId();
    const request: RunRequest = {
      runId,
      model: { modelPath, device: settings.device },
      prompt: overrides.ids ? { kind: 'ids', ids: overrides.ids, source } : { kind: 'text', text, source },
      options: {
        addBos: overrides.addBos ?? settings.addBos,
        epsilon: settings.epsilon,
        maxTokens: overrides.maxTokens ?? settings.maxTokens,
        ...(overrides.truncate ? { truncate: true } : {}),
      },
    };
    const live = this.live.start(request);
    this.events.fire({ kind: 'started', request });
    if (!modelExists(modelPath)) return this.fail(runId, new SinkLensError('model', 'model-missing', `no model at ${modelPath}: choose a model.onnx (or its folder)`));
    statusBar.setBusy(true);
    try {
      await withCancellableProgress(`Sink Lens: analysing ${modelDisplayName(modelPath)}`, (report, signal) => this.analyze(live, target, report, signal));
    } catch (error) {
      this.live.forget(runId);
      // Longer than sinkLens.maxTokens: say how long, and let the user truncate or go on.
      const long = overrides.truncate || overrides.maxTokens !== undefined ? undefined : tooLong(error);
      if (long) {
        log.info(`prompt of ${long.tokens} tokens is over the limit of ${long.limit}`);
        const choice = overrides.longPrompt ?? (await askLongPrompt(long));
        if (choice === 'truncate') return this.run(text, source, target, { ...overrides, truncate: true });
        if (choice === 'analyzeAll') return this.run(text, source, target, { ...overrides, maxTokens: long.tokens });
        // Declined: the panel, which shows this run starting, says it was not analysed.
        this.events.fire({
          kind: 'failed',
          runId,
          error: toErrorPayload(new SinkLensError('cancelled', 'not-analysed', `not analysed: the prompt has ${long.tokens} tokens, more than sinkLens.maxTokens (${long.limit})`)),
        });
        return undefined;
      }
      return this.fail(runId, error);
    } finally {
      statusBar.setBusy(false);
    }
    return this.keep(live, text, target);
  }

  /** A run that ended without a report: the panel (which shows it starting) and a notification say why. */
  private fail(runId: string, error: unknown): undefined {
    this.live.forget(runId);
    this.events.fire({ kind: 'failed', runId, error: toErrorPayload(error) });
    this.parts.notices.show(error);
    return undefined;
  }

  /** The worker's run into the LiveRun, the panel (through the events), the decorations and the progress. */
  private async analyze(live: LiveRun, target: PromptTarget | undefined, notify: (message: string, increment?: number) => void, signal: AbortSignal): Promise<void> {
    const { statusBar, decorations, log } = this.parts;
    const { runId, model } = live.request;
    // The progress notification's words also go to the panel while it shows the run starting.
    const report = (message: string) => {
      notify(message);
      this.events.fire({ kind: 'progress', runId, message });
    };
    report('loading the model…');
    const run = await this.parts.client.request('analyze', live.request, {
      signal,
      onProgress: (opened) => {
        statusBar.setDevice(opened.executionProvider, opened.fallbackReason, model.device);
        report(`running on ${opened.executionProvider.toUpperCase()}…`);
        if (opened.fallbackReason && opened.fallbackReason !== this.lastFallbackReason) log.warn(`CUDA not used: ${opened.fallbackReason}`);
        this.lastFallbackReason = opened.fallbackReason;
      },
    });
    live.report = run.report;
    this.events.fire({ kind: 'finished', run });
    const settings = readSettings();
    if (target && settings.decorationsEnabled) decorations.show(target.document, target.offsets, run, settings.decorationLayer);
  }

  /** Stores a finished run with its record (for the explorer) and returns what the command returns. */
  private async keep(live: LiveRun, text: string, target: PromptTarget | undefined): Promise<AnalyzeResult> {
    const { request } = live;
    const report = live.report!;
    const record: RunRecord = {
      id: request.runId,
      modelPath: request.model.modelPath,
      modelName: modelDisplayName(request.model.modelPath),
      createdAt: new Date().toISOString(),
      executionProvider: report.runtime.executionProvider,
      promptPreview: preview(text),
      prompt: request.prompt,
      options: request.options,
      documentUri: target?.document.uri.toString() ?? null,
      sinkScore: report.attention.sinkScore,
      sinkRate: report.attention.sinkRate.all,
      epsilon: report.attention.sinkRate.epsilon,
      uniformBaseline: report.attention.uniformBaseline,
    };
    try {
      const dropped = await this.parts.store.add(record, {
        report,
        offsets: target?.offsets ?? null,
        sourceText: target ? target.document.getText().slice(target.start, target.end) : null,
      });
      this.droppedStoredRuns(dropped);
    } catch (error) {
      this.parts.log.error(`could not store run ${request.runId}: ${String(error)}`);
    }
    this.parts.onDidStore();
    return { runId: request.runId, report, prompt: { kind: target?.kind ?? 'selection', start: target?.start ?? 0, end: target?.end ?? 0, text } };
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 48 ? `${flat.slice(0, 47)}…` : flat;
}
