/**
 * "Analyze Prompt Sinks" and everything a run touches: the prompt under the cursor, the worker run
 * under a cancellable progress notification, the panel it streams into, the token decorations,
 * the status bar and the stored runs. Commands are thin wrappers around these methods.
 */
import * as vscode from 'vscode';
import type { AnalysisClient } from '../worker/analysisClient';
import type { RunRequest as AnalysisRequest } from '../../protocol/channels/worker';
import { modelDisplayName, modelExists, resolveModelPath } from '../models/modelPaths';
import { readSettings } from '../settings/settings';
import { Disposable } from '../dispose';
import { CancelledError, type ErrorPayload, SinkLensError } from '../../protocol/errors';
import type { SinkReport } from '../../protocol/report';
import { askLongPrompt, presetChoice, tooLong, type LongPromptChoice } from '../prompts/longPrompt';
import { extractPrompt } from '../prompts/promptExtraction';
import type { PromptSpan } from '../prompts/promptSpan';
import { type CsvTable, reportCsv } from '../../protocol/reportCsv';
import type { HeadRef } from '../../protocol/analyses';
import type { FromWebviewMessage, WebviewState } from '../../protocol/reportMessages';
import type { MultiAnalysisResult } from '../../protocol/channels/worker';
import { joinRunParts, type RunLayer, type RunReceived, type RunSummary, toRunLayers, toRunSummary } from '../../protocol/runParts';
import { newRunId } from '../storage/runIds';
import type { RunRecord, RunStore } from '../storage/runStore';
import type { RunsTreeProvider } from '../views/runsTree';
import { SinkPanel, type PanelHost } from '../panels/report/reportPanel';
import { PanelSlot } from '../panels/webviewPanel';
import type { SinkStatusBar } from '../views/statusBar';
import type { TokenDecorations } from '../decorations/tokenDecorations';
import { saveExport, saveFile, webviewExportBytes } from '../panels/webviewExport';
import { ANALYZE_TOKEN_IDS_ACTION, ANALYZE_TOKEN_IDS_COMMAND, noTokenizerNotice } from '../commands/tokenIdsCommand';

/** A run as the host holds it while streaming, and after loading it from the store. */
interface LiveRun {
  record: RunRecord | null;
  request: AnalysisRequest;
  summary: RunSummary | null;
  layers: RunLayer[];
  received: (Float32Array | undefined)[];
  done: boolean;
  error: Error | null;
}

export interface AnalyzeResult {
  runId: string;
  report: SinkReport;
  received: (number[] | null)[];
  prompt: { kind: PromptSpan['kind']; start: number; end: number; text: string };
}

export class AnalysisController extends Disposable implements PanelHost {
  private readonly panel = this._register(new PanelSlot(() => SinkPanel.create(this.extensionUri, this)));
  private readonly runs = new Map<string, LiveRun>();
  private lastFallbackReason: string | null = null;
  private readonly restoredDocuments = new Set<string>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: AnalysisClient,
    private readonly store: RunStore,
    private readonly tree: RunsTreeProvider,
    private readonly statusBar: SinkStatusBar,
    private readonly decorations: TokenDecorations,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.statusBar.setModel(modelDisplayName(this.modelPath()));
  }

  modelPath(): string {
    return resolveModelPath(readSettings(), this.extensionUri.fsPath);
  }

  /**
   * The command. Returns the report (tests use it); undefined when nothing ran. `argument` may
   * preset the answer to the long-prompt question (`{ longPrompt: 'truncate' }`, for tests); any
   * other argument (a menu's Uri) is ignored.
   */
  async analyzePromptUnderCursor(argument?: unknown): Promise<AnalyzeResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage('Sink Lens: open a file and put the cursor in a prompt first.');
      return undefined;
    }
    const document = editor.document;
    const selection = editor.selection;
    const span = extractPrompt(
      { text: document.getText(), languageId: document.languageId, fileName: document.fileName },
      document.offsetAt(selection.active),
      selection.isEmpty ? undefined : { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) },
    );
    if (!span || span.text.trim() === '') {
      void vscode.window.showWarningMessage(
        'Sink Lens: no prompt under the cursor. Put it inside a string literal, a Markdown block or a paragraph, or select the text.',
      );
      return undefined;
    }
    this.decorations.flash(editor, span.start, span.end);
    return this.run(span.text, `${vscode.workspace.asRelativePath(document.uri)}:${document.positionAt(span.start).line + 1}`, {
      document,
      offsets: span.offsets,
      kind: span.kind,
      start: span.start,
      end: span.end,
    }, { longPrompt: presetChoice(argument) });
  }

  /** Re-runs a stored run's prompt, optionally without BOS. */
  async rerun(runId: string, overrides: { addBos?: boolean } = {}): Promise<AnalyzeResult | undefined> {
    const record = await this.store.get(runId);
    if (!record) {
      void vscode.window.showWarningMessage('Sink Lens: that run is gone.');
      return undefined;
    }
    if (record.prompt.kind === 'ids') return this.run(`[${record.prompt.ids.join(', ')}]`, record.prompt.source, undefined, { ids: record.prompt.ids, addBos: false, modelPath: record.modelPath });
    const document = record.documentUri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === record.documentUri) : undefined;
    const stored = await this.store.load(runId);
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

  async showRun(target: { runId: string; layer?: number; head?: number; token?: number }): Promise<void> {
    const live = await this.liveRun(target.runId);
    if (!live) {
      void vscode.window.showWarningMessage('Sink Lens: that run is no longer stored.');
      return;
    }
    const panel = this.panel.ensure();
    if (panel.runId !== target.runId) this.replay(panel, live);
    panel.reveal();
    panel.post({ type: 'focus', runId: target.runId, layer: target.layer, head: target.head, token: target.token });
  }

  /**
   * After a reload, shades an editor's prompt again from its newest stored run, when that prompt's
   * text is still exactly where it was. Each document is looked at once per session.
   */
  async restoreDecorations(editor: vscode.TextEditor | undefined): Promise<void> {
    if (!editor || !readSettings().decorationsEnabled) return;
    const uri = editor.document.uri.toString();
    if (this.restoredDocuments.has(uri)) return;
    this.restoredDocuments.add(uri);
    if (this.decorations.snapshot(editor.document.uri)) return;
    const record = (await this.store.list()).find((run) => run.documentUri === uri);
    const stored = record ? await this.store.load(record.id) : undefined;
    const offsets = stored?.offsets;
    if (!record || !stored || !offsets || stored.sourceText == null) return;
    if (editor.document.getText().slice(offsets[0], offsets.at(-1)) !== stored.sourceText) return;
    this.decorations.show(editor.document, offsets, toRunSummary(record.id, stored.report), readSettings().decorationLayer);
    stored.received.forEach((layer, index) => layer && this.decorations.updateReceived(record.id, index, Float32Array.from(layer)));
  }

  showPanel(): void {
    this.panel.ensure().reveal();
  }

  /** The report panel when one is open (tests observe and close it). */
  currentPanel(): SinkPanel | undefined {
    return this.panel.open;
  }

  async exportRun(runId: string): Promise<void> {
    const stored = await this.store.load(runId);
    if (!stored) return;
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Report JSON', description: 'sink-lens/report@1', value: 'json' as const },
        { label: 'Sink scores CSV', description: 'layer, head, sinkScore', value: 'sinkScores' as const },
        { label: 'Norms CSV', description: 'depth, position, token, norm', value: 'norms' as const },
        { label: 'MLP activation norms CSV', description: 'layer, position, token, norm', value: 'mlpNorms' as const },
      ],
      { title: 'Export Sink Lens run' },
    );
    if (!choice) return;
    const content = choice.value === 'json' ? JSON.stringify(stored.report, null, 2) : reportCsv(stored.report, choice.value as CsvTable);
    await saveFile(`sink-lens-${runId}-${choice.value}.${choice.value === 'json' ? 'json' : 'csv'}`, Buffer.from(content, 'utf8'));
  }

  async deleteRun(runId: string): Promise<void> {
    await this.store.delete(runId);
    this.runs.delete(runId);
    this.tree.refresh();
  }

  revive(webviewPanel: vscode.WebviewPanel, state: WebviewState | null): void {
    const panel = SinkPanel.revive(webviewPanel, this.extensionUri, this, state);
    this.panel.adopt(panel);
  }

  // ---- PanelHost --------------------------------------------------------------------------

  onWebviewMessage(panel: SinkPanel, message: FromWebviewMessage): void {
    switch (message.type) {
      case 'ready': {
        const runId = message.state?.runId ?? panel.runId;
        this.log.info(`report panel ready${runId ? ` for run ${runId}` : ''}`);
        if (!runId) break;
        void this.liveRun(runId).then(
          (live) => (live ? this.replay(panel, live, message.state ?? undefined) : this.log.warn(`run ${runId} is no longer stored`)),
          (error) => this.log.error(`could not restore run ${runId}: ${String(error)}`),
        );
        break;
      }
      case 'requestAttentionMap':
        void this.sendAttentionMap(panel, message.requestId, message.runId, message.layer, message.head);
        break;
      case 'export':
        void this.exportFromWebview(panel, message.kind, message.name, message.data);
        break;
      case 'revealToken':
        void this.revealTokenInEditor(message.runId, message.token);
        break;
      case 'ablateHeads':
        void this.ablateHeads(panel, message.requestId, message.runId, message.heads);
        break;
      case 'command':
        if (message.command === 'selectModel') void vscode.commands.executeCommand('sinkLens.selectModel');
        if (message.command === 'openSettings') void vscode.commands.executeCommand('workbench.action.openSettings', 'sinkLens');
        if (message.command === 'rerun' && panel.runId) void this.rerun(panel.runId);
        break;
      case 'stateChanged':
        break;
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private async run(
    text: string,
    source: string,
    target: { document: vscode.TextDocument; offsets: number[]; kind: PromptSpan['kind']; start: number; end: number } | undefined,
    overrides: { addBos?: boolean; modelPath?: string; truncate?: boolean; maxTokens?: number; longPrompt?: LongPromptChoice; ids?: number[] } = {},
  ): Promise<AnalyzeResult | undefined> {
    const settings = readSettings();
    const modelPath = overrides.modelPath ?? this.modelPath();
    this.statusBar.setModel(modelDisplayName(modelPath));
    if (!modelExists(modelPath)) {
      this.showError(new SinkLensError('model', 'model-missing', `no model at ${modelPath}: choose a model.onnx (or its folder)`));
      return undefined;
    }
    const runId = newRunId();
    const request: AnalysisRequest = {
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
    const live: LiveRun = { record: null, request, summary: null, layers: [], received: [], done: false, error: null };
    this.runs.set(runId, live);
    const panel = this.panel.ensure();
    panel.reveal();
    this.statusBar.setBusy(true);
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sink Lens: analysing ${modelDisplayName(modelPath)}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const subscription = token.onCancellationRequested(() => abort.abort());
          try {
            progress.report({ message: 'loading the model…' });
            let layersTotal = 0;
            const onModelOpened = (model: { layers: number }, provider: 'cuda' | 'cpu', fallbackReason: string | null) => {
                this.statusBar.setDevice(provider, fallbackReason, settings.device);
                layersTotal = model.layers;
                progress.report({ message: `running on ${provider.toUpperCase()}…` });
                if (fallbackReason && fallbackReason !== this.lastFallbackReason) this.log.warn(`CUDA not used: ${fallbackReason}`);
                this.lastFallbackReason = fallbackReason;
            };
            const onSummary = (summary: RunSummary) => {
                live.summary = summary;
                live.received = new Array(summary.model.layers).fill(undefined);
                this.panel.open?.post({ type: 'runBegin', summary });
                if (target && readSettings().decorationsEnabled) this.decorations.show(target.document, target.offsets, summary, settings.decorationLayer);
                progress.report({ message: `${summary.tokens.length} tokens: computing attention per layer…` });
            };
            const onLayer = (layer: RunLayer) => {
                live.layers.push(layer);
                this.currentPanelFor(runId)?.post({ type: 'runLayer', layer });
            };
            const onReceived = (received: RunReceived) => {
                live.received[received.layer] = received.received;
                this.currentPanelFor(runId)?.post({ type: 'runReceived', received });
                this.decorations.updateReceived(runId, received.layer, received.received);
                progress.report({ message: `attention received: layer ${received.layer + 1} of ${layersTotal}`, increment: 100 / Math.max(1, layersTotal) });
            };
            await this.client.request('analyze', { ...request, withReceived: true }, {
              signal: abort.signal,
              onProgress: (part) => {
                if (part.type === 'modelOpened') onModelOpened(part.model, part.executionProvider, part.fallbackReason);
                else if (part.type === 'runSummary') onSummary(part.summary);
                else if (part.type === 'runLayer') onLayer(part.layer);
                else onReceived(part.received);
              },
            });
          } finally {
            subscription.dispose();
          }
        },
      );
    } catch (error) {
      live.error = error instanceof Error ? error : new Error(String(error));
      this.runs.delete(runId);
      // Longer than sinkLens.maxTokens: say how long, and let the user truncate or go on.
      const long = overrides.truncate || overrides.maxTokens !== undefined ? undefined : tooLong(error);
      if (long) {
        this.log.info(`prompt of ${long.tokens} tokens is over the limit of ${long.limit}`);
        const choice = overrides.longPrompt ?? (await askLongPrompt(long));
        if (choice === 'truncate') return this.run(text, source, target, { ...overrides, truncate: true });
        if (choice === 'analyzeAll') return this.run(text, source, target, { ...overrides, maxTokens: long.tokens });
        return undefined;
      }
      // Also when the run failed or was cancelled before its first part reached the panel: a panel
      // that shows no run yet says so; one that shows another run ignores it (the webview checks).
      this.panel.open?.post({ type: 'runError', runId, error: toErrorPayload(error) });
      this.showError(error);
      return undefined;
    } finally {
      this.statusBar.setBusy(false);
    }
    live.done = true;
    this.currentPanelFor(runId)?.post({ type: 'runEnd', runId });
    const report = joinRunParts(live.summary!, live.layers);
    const received = live.received.map((layer) => (layer ? Array.from(layer) : null));
    const record: RunRecord = {
      id: runId,
      modelPath,
      modelName: modelDisplayName(modelPath),
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
    live.record = record;
    try {
      await this.store.add(record, {
        report,
        received,
        offsets: target?.offsets ?? null,
        sourceText: target ? target.document.getText().slice(target.start, target.end) : null,
      });
    } catch (error) {
      this.log.error(`could not store run ${runId}: ${String(error)}`);
    }
    this.tree.refresh();
    return {
      runId,
      report,
      received,
      prompt: { kind: target?.kind ?? 'selection', start: target?.start ?? 0, end: target?.end ?? 0, text },
    };
  }

  /** The panel, when it shows this run (a run the user navigated away from keeps streaming into storage only). */
  private currentPanelFor(runId: string): SinkPanel | undefined {
    const panel = this.panel.open;
    return panel?.runId === runId ? panel : undefined;
  }



  private replay(panel: SinkPanel, live: LiveRun, state?: WebviewState): void {
    if (!live.summary) return;
    panel.post({ type: 'runBegin', summary: live.summary });
    for (const layer of live.layers) panel.post({ type: 'runLayer', layer });
    live.received.forEach((received, layer) => received && panel.post({ type: 'runReceived', received: { runId: live.summary!.runId, layer, received } }));
    if (live.done) panel.post({ type: 'runEnd', runId: live.summary.runId });
    if (state) panel.post({ type: 'focus', runId: live.summary.runId, layer: state.layer, head: state.head, token: state.focusedToken ?? undefined });
  }

  private async liveRun(runId: string): Promise<LiveRun | undefined> {
    const cached = this.runs.get(runId);
    if (cached) return cached;
    const record = await this.store.get(runId);
    const stored = await this.store.load(runId);
    if (!record || !stored) return undefined;
    const live: LiveRun = {
      record,
      request: { runId, model: { modelPath: record.modelPath, device: readSettings().device }, prompt: record.prompt, options: record.options },
      summary: toRunSummary(runId, stored.report),
      layers: toRunLayers(runId, stored.report),
      received: stored.received.map((layer) => (layer ? Float32Array.from(layer) : undefined)),
      done: true,
      error: null,
    };
    this.runs.set(runId, live);
    return live;
  }

  private async sendAttentionMap(panel: SinkPanel, requestId: number, runId: string, layer: number, head: number): Promise<void> {
    const live = await this.liveRun(runId);
    if (!live) {
      panel.post({ type: 'attentionMapError', inReplyTo: requestId, error: { category: 'usage', code: 'no-run', message: 'this run is no longer stored' } });
      return;
    }
    try {
      const map = await this.client.request('attentionMap', { ...live.request, runId, layer, head });
      panel.post({ type: 'attentionMap', inReplyTo: requestId, map: { ...map, runId } });
    } catch (error) {
      panel.post({ type: 'attentionMapError', inReplyTo: requestId, error: toErrorPayload(error) });
    }
  }

  /**
   * "Ablate Selected Heads": the Sink Analyses panel runs and shows it (the same path as the layer
   * sweep); the report panel only hears whether it did, so that its button can say so.
   */
  private async ablateHeads(panel: SinkPanel, requestId: number, runId: string, heads: HeadRef[]): Promise<void> {
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

  private async exportFromWebview(panel: SinkPanel, kind: 'png' | 'json' | 'csv', name: string, data?: string): Promise<void> {
    let bytes: Uint8Array | undefined;
    if (kind === 'json') {
      const stored = panel.runId ? await this.store.load(panel.runId) : undefined;
      const live = panel.runId ? this.runs.get(panel.runId) : undefined;
      const report = stored?.report ?? (live?.summary ? joinRunParts(live.summary, live.layers) : undefined);
      if (report) bytes = Buffer.from(JSON.stringify(report, null, 2), 'utf8');
    } else {
      bytes = webviewExportBytes(kind, data);
    }
    await saveExport(name, bytes, (path) => panel.post({ type: 'exportDone', path }));
  }

  private async revealTokenInEditor(runId: string, token: number): Promise<void> {
    const record = await this.store.get(runId);
    const stored = await this.store.load(runId);
    if (!record?.documentUri || !stored?.offsets) return;
    const reportToken = stored.report.tokens[token];
    if (!reportToken) return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(record.documentUri));
    const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    const start = document.positionAt(stored.offsets[Math.min(reportToken.start, stored.offsets.length - 1)]);
    const end = document.positionAt(stored.offsets[Math.min(reportToken.end, stored.offsets.length - 1)]);
    editor.selection = new vscode.Selection(start, end);
    editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  showError(error: unknown): void {
    if (error instanceof CancelledError) {
      void vscode.window.showInformationMessage('Sink Lens: analysis cancelled; the worker was stopped and its memory freed.');
      return;
    }
    const known = error instanceof SinkLensError ? error : new SinkLensError('runtime', 'unexpected', error instanceof Error ? error.message : String(error));
    this.log.error(`${known.category}/${known.code}: ${known.message}`);
    const notice = known.code === 'no-tokenizer' ? noTokenizerNotice(known) : undefined;
    const actions = notice?.actions ?? (known.category === 'model' || known.category === 'usage' ? ['Select Model…', 'Open Settings'] : ['Show Log', 'Open Settings']);
    void vscode.window.showErrorMessage(`Sink Lens: ${notice?.message ?? known.message}`, ...actions).then((choice) => {
      if (choice === ANALYZE_TOKEN_IDS_ACTION) void vscode.commands.executeCommand(ANALYZE_TOKEN_IDS_COMMAND);
      if (choice === 'Select Model…') void vscode.commands.executeCommand('sinkLens.selectModel');
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'sinkLens');
      if (choice === 'Show Log') this.log.show();
    });
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 48 ? `${flat.slice(0, 47)}…` : flat;
}

function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof SinkLensError) return { category: error.category, code: error.code, message: error.message };
  return { category: 'runtime' as const, code: 'unexpected', message: error instanceof Error ? error.message : String(error) };
}
