/**
 * The paper's multi-run analyses in the extension: "Compare Without BOS", "Analyze Prompts in
 * File / Selection", "Ablate Each Head of Layer…", "Ablate Selected Heads" (the report panel's
 * sink grid) and "First-Token Substitution". Each collects its prompts (the prompt under the
 * cursor, every prompt of the selection or file, or a stored run's prompt from the explorer or the
 * report panel), runs ONE 'multiAnalysis' request in the analysis worker under a cancellable
 * progress notification, and shows the engine's document in the "Sink Analyses" panel.
 */
import * as vscode from 'vscode';
import type { AnalysisClient } from '../worker/analysisClient';
import type { AnalysisController } from '../runs/analysisController';
import { modelDisplayName, modelExists } from '../models/modelPaths';
import { readSettings } from '../settings/settings';
import { Disposable } from '../dispose';
import { headLabel, type HeadRef } from '../../protocol/analyses';
import { CancelledError, SinkLensError } from '../../protocol/errors';
import { inspectModel } from '../../engine/model/inspectModel';
import { AnalysesPanel, type AnalysesPanelHost } from '../panels/analyses/analysesPanel';
import { PanelSlot } from '../panels/webviewPanel';
import { extractPrompt } from '../prompts/promptExtraction';
import { enumeratePrompts } from '../prompts/promptEnumeration';
import type { RunRecord, RunStore } from '../storage/runStore';
import type { AnalysesWebviewState, AnalysisView, FromAnalysesWebviewMessage } from '../../protocol/analysesMessages';
import type { MultiAnalysisKind, MultiAnalysisRequest, MultiAnalysisResult } from '../../protocol/channels/worker';
import type { PromptInput, RunOptions } from '../../protocol/inputs';

/** What the explorer passes: a run node, a layer node, or `{ runId }`. */
export type AnalysisTarget = { runId: string; layer?: number } | { kind: string; run?: RunRecord; layer?: number } | undefined;

interface PromptSet {
  prompts: PromptInput[];
  origin: string;
  modelPath?: string;
  /**
   * A stored run's own options (BOS, ε, token limit, truncation): an analysis of that run must see
   * the tokens it saw, so that its baseline is the run the user is looking at. Else the settings.
   */
  options?: RunOptions;
}

const TITLES: Record<MultiAnalysisKind, string> = {
  compareBos: 'with and without BOS',
  batch: 'many prompts',
  sweepLayer: 'head sweep',
  ablateHeads: 'ablation',
  substitute: 'first-token substitution',
};

export class AnalysesController extends Disposable implements AnalysesPanelHost {
  private readonly panel = this._register(new PanelSlot(() => AnalysesPanel.create(this.extensionUri, this)));
  private lastView: AnalysisView | null = null;
  private nextId = 1;
  /** The last focused text editor: the panel (or the output) may be focused when a command runs. */
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: AnalysisClient,
    private readonly store: RunStore,
    private readonly analysis: AnalysisController,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) this.lastEditor = editor;
      }),
    );
  }

  /** The active text editor, else the last one whose document is still open. */
  private editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) return active;
    const last = this.lastEditor;
    if (!last || last.document.isClosed) return undefined;
    return vscode.window.visibleTextEditors.find((editor) => editor.document === last.document) ?? last;
  }

  // ---- commands -------------------------------------------------------------------------------

  /** "Compare Without BOS": a stored run's prompt (explorer) or the prompt under the cursor. */
  async compareWithoutBos(target?: AnalysisTarget): Promise<MultiAnalysisResult | undefined> {
    const set = (await this.fromRun(target)) ?? this.promptUnderCursor();
    return set ? this.run('compareBos', set) : undefined;
  }

  /** "First-Token Substitution": the prompt under the cursor (or a stored run's). */
  async substitute(target?: AnalysisTarget): Promise<MultiAnalysisResult | undefined> {
    const set = (await this.fromRun(target)) ?? this.promptUnderCursor();
    return set ? this.run('substitute', set) : undefined;
  }

  /** "Analyze Prompts in File / Selection": every string literal or paragraph of the selection or file. */
  async analyzePromptsInFile(): Promise<MultiAnalysisResult | undefined> {
    const set = this.promptsOfEditor();
    return set ? this.run('batch', set) : undefined;
  }

  /**
   * "Ablate Each Head of Layer…": the layer from the explorer's layer node or a quick pick (or
   * `{ layer, prompts: 'cursor' | 'file' }` from tests); the prompts of a stored run, or the
   * prompt under the cursor, or the file's prompts.
   */
  async ablateLayer(target?: AnalysisTarget | { layer?: number; prompts?: 'cursor' | 'file' }): Promise<MultiAnalysisResult | undefined> {
    const preset = target && 'prompts' in target ? target : undefined;
    let set = preset ? undefined : await this.fromRun(target as AnalysisTarget);
    if (!set) {
      const which = preset?.prompts ?? (await this.askWhichPrompts());
      if (!which) return undefined;
      set = which === 'file' ? this.promptsOfEditor(true) : this.promptUnderCursor();
    }
    if (!set) return undefined;
    const layer = target && typeof target.layer === 'number' ? target.layer : await this.pickLayer(set.modelPath ?? this.analysis.modelPath());
    if (layer === undefined) return undefined;
    return this.run('sweepLayer', set, { layer });
  }

  /**
   * "Ablate Selected Heads" in the report panel: a stored run's prompt rerun with exactly these
   * heads removed together (one variant), against the unablated run; the worker checks the heads
   * against the model. Undefined when it did not run (no such run, cancelled, failed: the panel and
   * a notification say which).
   */
  async ablateHeads(target: { runId: string; heads: HeadRef[] }): Promise<MultiAnalysisResult | undefined> {
    const set = await this.fromRun(target);
    return set ? this.run('ablateHeads', set, { heads: target.heads }) : undefined;
  }

  showPanel(): void {
    this.panel.ensure().reveal();
  }

  revive(webviewPanel: vscode.WebviewPanel, state: AnalysesWebviewState | null): void {
    this.panel.adopt(AnalysesPanel.revive(webviewPanel, this.extensionUri, this, state));
  }

  onAnalysesWebviewMessage(panel: AnalysesPanel, message: FromAnalysesWebviewMessage): void {
    if (message.type === 'ready' && !message.state?.view && this.lastView) panel.post({ type: 'analysis', view: this.lastView });
  }

  // ---- the run ----------------------------------------------------------------------------------

  async run(kind: MultiAnalysisKind, set: PromptSet, extra: { layer?: number; heads?: HeadRef[] } = {}): Promise<MultiAnalysisResult | undefined> {
    const settings = readSettings();
    const modelPath = set.modelPath ?? this.analysis.modelPath();
    if (!modelExists(modelPath)) {
      this.analysis.showError(new SinkLensError('model', 'model-missing', `no model at ${modelPath}: choose a model.onnx (or its folder)`));
      return undefined;
    }
    const single = kind === 'compareBos' || kind === 'substitute';
    const prompts = single ? set.prompts.slice(0, 1) : set.prompts;
    const request: MultiAnalysisRequest = {
      kind,
      prompts,
      options: set.options ?? { addBos: settings.addBos, epsilon: settings.epsilon, maxTokens: settings.maxTokens },
      ...(extra.layer !== undefined ? { layer: extra.layer } : {}),
      ...(extra.heads !== undefined ? { heads: extra.heads } : {}),
    };
    const title = `${TITLES[kind]}${kind === 'sweepLayer' ? ` of layer ${extra.layer}` : kind === 'ablateHeads' ? ` of ${headLabel(extra.heads ?? [])}` : ''}`;
    const panel = this.panel.ensure();
    panel.post({ type: 'running', kind, title });
    panel.reveal();
    let result: MultiAnalysisResult;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sink Lens: ${title} on ${modelDisplayName(modelPath)}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const subscription = token.onCancellationRequested(() => abort.abort());
          progress.report({ message: `${prompts.length} prompt${prompts.length === 1 ? '' : 's'}: loading the model…` });
          try {
            return await this.client.request('multiAnalysis', { model: { modelPath, device: settings.device }, request }, {
              signal: abort.signal,
              onProgress: (part) =>
                part.type === 'multiProgress'
                  ? progress.report({ message: `prompt ${part.done} of ${part.total}`, increment: 100 / Math.max(1, part.total) })
                  : progress.report({ message: `${prompts.length} prompt${prompts.length === 1 ? '' : 's'} on ${part.executionProvider.toUpperCase()}…` }),
            });
          } finally {
            subscription.dispose();
          }
        },
      );
    } catch (error) {
      this.currentPanel()?.post({ type: 'analysisError', message: error instanceof CancelledError ? 'Cancelled.' : String((error as Error).message ?? error) });
      this.analysis.showError(error);
      return undefined;
    }
    const view: AnalysisView = {
      id: `analysis-${Date.now()}-${this.nextId++}`,
      title,
      origin: set.origin,
      prompts: prompts.map((prompt) => (prompt.kind === 'text' ? prompt.text : prompt.ids.join(' '))),
      createdAt: new Date().toISOString(),
      addBos: request.options.addBos,
      result,
    };
    this.lastView = view;
    this.panel.ensure().post({ type: 'analysis', view });
    this.log.info(`${title}: ${prompts.length} prompt(s) from ${set.origin}`);
    return result;
  }

  /** The panel when one is open (tests observe it). */
  currentPanel(): AnalysesPanel | undefined {
    return this.panel.open;
  }

  // ---- prompts ----------------------------------------------------------------------------------

  private async fromRun(target: AnalysisTarget): Promise<PromptSet | undefined> {
    if (!target || typeof target !== 'object') return undefined;
    const runId = 'runId' in target ? target.runId : 'run' in target ? target.run?.id : undefined;
    if (!runId) return undefined;
    const record = await this.store.get(runId);
    if (!record) {
      void vscode.window.showWarningMessage('Sink Lens: that run is no longer stored.');
      return undefined;
    }
    return { prompts: [record.prompt], origin: `run ${record.promptPreview}`, modelPath: record.modelPath, options: record.options };
  }

  private promptUnderCursor(): PromptSet | undefined {
    const editor = this.editor();
    if (!editor) {
      void vscode.window.showWarningMessage('Sink Lens: open a file and put the cursor in a prompt first.');
      return undefined;
    }
    const { document, selection } = editor;
    const span = extractPrompt(
      { text: document.getText(), languageId: document.languageId, fileName: document.fileName },
      document.offsetAt(selection.active),
      selection.isEmpty ? undefined : { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) },
    );
    if (!span || span.text.trim() === '') {
      void vscode.window.showWarningMessage('Sink Lens: no prompt under the cursor. Put it inside a string literal or a paragraph, or select the text.');
      return undefined;
    }
    const source = `${vscode.workspace.asRelativePath(document.uri)}:${document.positionAt(span.start).line + 1}`;
    return { prompts: [{ kind: 'text', text: span.text, source }], origin: source };
  }

  /** Every prompt of the selection (when there is one) or of the whole file. */
  private promptsOfEditor(wholeFile = false): PromptSet | undefined {
    const editor = this.editor();
    if (!editor) {
      void vscode.window.showWarningMessage('Sink Lens: open a file with prompts (string literals or paragraphs) first.');
      return undefined;
    }
    const { document, selection } = editor;
    const range = wholeFile || selection.isEmpty ? undefined : { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) };
    const found = enumeratePrompts({ text: document.getText(), languageId: document.languageId, fileName: document.fileName }, range);
    if (found.length === 0) {
      void vscode.window.showWarningMessage('Sink Lens: no prompts found (no non-empty string literals or paragraphs).');
      return undefined;
    }
    const name = vscode.workspace.asRelativePath(document.uri);
    return {
      prompts: found.map((prompt) => ({ kind: 'text', text: prompt.text, source: `${name}:${document.positionAt(prompt.start).line + 1}` })),
      origin: `${found.length} prompt${found.length === 1 ? '' : 's'} of ${name}${range ? ' (selection)' : ''}`,
    };
  }

  private async askWhichPrompts(): Promise<'cursor' | 'file' | undefined> {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'The prompt under the cursor', value: 'cursor' as const },
        { label: "All of the file's prompts", description: 'string literals or paragraphs; gives the cross-input cosine too', value: 'file' as const },
      ],
      { title: 'Sink Lens: ablate each head on which prompts?', ignoreFocusOut: true },
    );
    return choice?.value;
  }

  private async pickLayer(modelPath: string): Promise<number | undefined> {
    let layers: number | null = null;
    let heads: number | null = null;
    let sliding: number[] = [];
    try {
      const inspection = inspectModel(modelPath);
      layers = inspection.layers;
      heads = inspection.heads;
      sliding = inspection.slidingWindowLayers;
    } catch (error) {
      this.log.warn(`could not inspect ${modelPath}: ${String(error)}`);
    }
    if (layers === null) {
      const typed = await vscode.window.showInputBox({ title: 'Sink Lens: ablate each head of which layer?', prompt: 'Layer number (0 = first)', ignoreFocusOut: true, validateInput: (text) => (/^\d+$/.test(text.trim()) ? null : 'a layer number') });
      return typed === undefined ? undefined : Number(typed.trim());
    }
    const choice = await vscode.window.showQuickPick(
      Array.from({ length: layers }, (_, layer) => ({
        label: `Layer ${layer}`,
        description: [heads ? `${heads} heads` : '', sliding.includes(layer) ? 'sliding-window attention' : '', layer < 2 ? 'where the paper finds the P0 circuit' : '']
          .filter(Boolean)
          .join(' · '),
        layer,
      })),
      { title: 'Sink Lens: ablate each head of which layer?', placeHolder: 'Each head is removed in turn; all run as one batch', ignoreFocusOut: true },
    );
    return choice?.layer;
  }

  // ---- panel -----------------------------------------------------------------------------------


}
