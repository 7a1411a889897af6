/**
 * The paper's multi-run analyses in the extension: "Compare Without BOS", "Analyze Prompts in
 * File / Selection", "Ablate Each Head of Layer…", "Ablate Selected Heads" (the report panel's sink
 * grid) and "First-Token Substitution". Each collects its prompts (promptSets.ts), runs ONE
 * 'multiAnalysis' request in the analysis worker under a cancellable progress notification, and
 * shows the engine's document in the "Sink Analyses" panel.
 */
import type * as vscode from 'vscode';
import { headLabel, type HeadRef } from '../../protocol/analyses';
import type { AnalysisView } from '../../protocol/channels/analyses';
import type { MultiAnalysisKind, MultiAnalysisRequest, MultiAnalysisResult } from '../../protocol/channels/worker';
import { SinkLensError } from '../../protocol/errors';
import { modelDisplayName, modelExists } from '../models/modelPaths';
import type { ErrorNotices } from '../notices/errorNotices';
import { withCancellableProgress } from '../notices/progress';
import type { AnalysesPanelController } from '../panels/analyses/analysesPanelController';
import type { EditorTracker } from '../prompts/promptUnderCursor';
import { readSettings } from '../settings/settings';
import type { RunStore } from '../storage/runStore';
import type { AnalysisClient } from '../worker/analysisClient';
import { pickLayer } from './layerPicker';
import { askWhichPrompts, promptAtCursor, promptsOfEditor, promptsOfRun, type AnalysisTarget, type PromptSet } from './promptSets';

const TITLES: Record<MultiAnalysisKind, string> = {
  compareBos: 'with and without BOS',
  batch: 'many prompts',
  sweepLayer: 'head sweep',
  ablateHeads: 'ablation',
  substitute: 'first-token substitution',
};

export interface AnalysesServiceParts {
  client: AnalysisClient;
  store: RunStore;
  panel: AnalysesPanelController;
  editors: EditorTracker;
  notices: ErrorNotices;
  log: vscode.LogOutputChannel;
  /** The model the settings name now. */
  modelPath(): string;
}

export class AnalysesService {
  private nextId = 1;

  constructor(private readonly parts: AnalysesServiceParts) {}

  /** "Compare Without BOS": a stored run's prompt (explorer) or the prompt under the cursor. */
  async compareWithoutBos(target?: AnalysisTarget): Promise<MultiAnalysisResult | undefined> {
    const set = (await promptsOfRun(this.parts.store, target)) ?? promptAtCursor(this.parts.editors.activeOrLast());
    return set ? this.run('compareBos', set) : undefined;
  }

  /** "First-Token Substitution": the prompt under the cursor (or a stored run's). */
  async substitute(target?: AnalysisTarget): Promise<MultiAnalysisResult | undefined> {
    const set = (await promptsOfRun(this.parts.store, target)) ?? promptAtCursor(this.parts.editors.activeOrLast());
    return set ? this.run('substitute', set) : undefined;
  }

  /** "Analyze Prompts in File / Selection": every string literal or paragraph of the selection or file. */
  async analyzePromptsInFile(): Promise<MultiAnalysisResult | undefined> {
    const set = promptsOfEditor(this.parts.editors.activeOrLast());
    return set ? this.run('batch', set) : undefined;
  }

  /**
   * "Ablate Each Head of Layer…": the layer from the explorer's layer node or a quick pick (or
   * `{ layer, prompts: 'cursor' | 'file' }` from tests); the prompts of a stored run, or the
   * prompt under the cursor, or the file's prompts.
   */
  async ablateLayer(target?: AnalysisTarget | { layer?: number; prompts?: 'cursor' | 'file' }): Promise<MultiAnalysisResult | undefined> {
    const preset = target && 'prompts' in target ? target : undefined;
    let set = preset ? undefined : await promptsOfRun(this.parts.store, target as AnalysisTarget);
    if (!set) {
      const which = preset?.prompts ?? (await askWhichPrompts());
      if (!which) return undefined;
      const editor = this.parts.editors.activeOrLast();
      set = which === 'file' ? promptsOfEditor(editor, true) : promptAtCursor(editor);
    }
    if (!set) return undefined;
    const layer = target && typeof target.layer === 'number' ? target.layer : await pickLayer(set.modelPath ?? this.parts.modelPath(), this.parts.log);
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
    const set = await promptsOfRun(this.parts.store, target);
    return set ? this.run('ablateHeads', set, { heads: target.heads }) : undefined;
  }

  private async run(kind: MultiAnalysisKind, set: PromptSet, extra: { layer?: number; heads?: HeadRef[] } = {}): Promise<MultiAnalysisResult | undefined> {
    const { client, panel, notices, log } = this.parts;
    const settings = readSettings();
    const modelPath = set.modelPath ?? this.parts.modelPath();
    if (!modelExists(modelPath)) {
      notices.show(new SinkLensError('model', 'model-missing', `no model at ${modelPath}: choose a model.onnx (or its folder)`));
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
    const count = `${prompts.length} prompt${prompts.length === 1 ? '' : 's'}`;
    panel.running(kind, title);
    let result: MultiAnalysisResult;
    try {
      result = await withCancellableProgress(`Sink Lens: ${title} on ${modelDisplayName(modelPath)}`, (report, signal) => {
        report(`${count}: loading the model…`);
        return client.request(
          'multiAnalysis',
          { model: { modelPath, device: settings.device }, request },
          {
            signal,
            onProgress: (part) =>
              part.type === 'multiProgress' ? report(`prompt ${part.done} of ${part.total}`, 100 / Math.max(1, part.total)) : report(`${count} on ${part.executionProvider.toUpperCase()}…`),
          },
        );
      });
    } catch (error) {
      panel.failed(error);
      notices.show(error);
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
    panel.show(view);
    log.info(`${title}: ${prompts.length} prompt(s) from ${set.origin}`);
    return result;
  }
}
