/**
 * Activation: builds the parts (worker client, run store, explorer, decorations, status bar,
 * panel serializer) and registers the commands. Everything heavy lives in the worker process.
 * The returned object is the extension's API; tests use it to read decorations and runs.
 */
import * as vscode from 'vscode';
import { AnalysesController } from './extension/analyses/analysesController';
import { ANALYSES_PANEL_VIEW_TYPE } from './extension/panels/analyses/analysesPanel';
import { AnalysisClient } from './extension/worker/analysisClient';
import { AnalysisController } from './extension/runs/analysisController';
import { modelDisplayName } from './extension/models/modelPaths';
import { SECTION } from './extension/settings/settings';
import { installCudaProviderCommand } from './extension/commands/cudaInstallCommand';
import { pickModel, recentModels, workspaceModels } from './extension/models/modelPicker';
import { RunStore } from './extension/storage/runStore';
import { RunsTreeProvider, type RunsNode } from './extension/views/runsTree';
import { PANEL_VIEW_TYPE } from './extension/panels/report/reportPanel';
import type { HeadRef } from './protocol/analyses';
import type { WebviewState } from './protocol/reportMessages';
import { SinkStatusBar } from './extension/views/statusBar';
import { TokenDecorations } from './extension/decorations/tokenDecorations';
import { analyzeTokenIds, ANALYZE_TOKEN_IDS_COMMAND } from './extension/commands/tokenIdsCommand';
import { TraceController } from './extension/traces/traceController';
import { TRACE_PANEL_VIEW_TYPE } from './extension/panels/trace/tracePanel';
import { TraceStore } from './extension/storage/traceStore';
import type { TraceWebviewState } from './protocol/traceMessages';
import type { AnalysesWebviewState } from './protocol/analysesMessages';

export interface SinkLensApi {
  controller: AnalysisController;
  decorations: TokenDecorations;
  store: RunStore;
  tree: RunsTreeProvider;
  client: AnalysisClient;
  traces: TraceController;
  analyses: AnalysesController;
}

type RunArgument = { runId: string } | RunsNode | undefined;
type TraceArgument = { traceId: string; selected?: number } | RunsNode | undefined;

export function activate(context: vscode.ExtensionContext): SinkLensApi {
  const log = vscode.window.createOutputChannel('Sink Lens', { log: true });
  context.subscriptions.push(log);
  const storageFolder = (context.storageUri ?? context.globalStorageUri).fsPath;
  const store = new RunStore(storageFolder);
  const client = new AnalysisClient(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, (line) => log.info(line));
  const tree = new RunsTreeProvider(store);
  const statusBar = new SinkStatusBar();
  const decorations = new TokenDecorations();
  const controller = new AnalysisController(context.extensionUri, client, store, tree, statusBar, decorations, log);
  const treeView = vscode.window.createTreeView('sinkLens.runs', { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(client, tree, statusBar, decorations, controller, treeView);
  // Checkpoint traces: kept in the workspace's storage like runs; per-checkpoint results cached globally.
  const traceStore = new TraceStore(storageFolder);
  const traces = new TraceController(
    context.extensionUri, client, traceStore, tree, controller, vscode.Uri.joinPath(context.globalStorageUri, 'trace-cache').fsPath, log,
  );
  tree.setTraceSource(traceStore);
  // The explorer lists models without runs too. Workspace models are found once per activation (a
  // folder walk); recent ones are read on every refresh.
  const inWorkspace = workspaceModels();
  tree.setModelSource(() => [...new Set([...recentModels(context), ...inWorkspace])]);
  context.subscriptions.push(traces);
  // The paper's multi-run analyses (with/without BOS, many prompts, head sweep, first-token substitution).
  const analyses = new AnalysesController(context.extensionUri, client, store, controller, log);
  context.subscriptions.push(analyses);

  const runIdOf = (argument: RunArgument): string | undefined => {
    if (!argument) {
      const selected = treeView.selection[0];
      return selected && 'run' in selected ? selected.run.id : undefined;
    }
    if ('runId' in argument) return argument.runId;
    return 'run' in argument ? argument.run.id : undefined;
  };

  /** A trace command's trace: `{ traceId }` (tree items, tests), a trace node (context menu), else the explorer's selection. */
  const traceIdOf = (argument: TraceArgument): string | undefined => {
    const target = argument ?? treeView.selection[0];
    if (!target) return undefined;
    if ('traceId' in target) return target.traceId;
    return target.kind === 'trace' ? target.trace.id : undefined;
  };

  const register = (command: string, handler: (...args: never[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(command, handler));

  register('sinkLens.analyzePrompt', (argument?: unknown) => controller.analyzePromptUnderCursor(argument));
  register(ANALYZE_TOKEN_IDS_COMMAND, (argument?: unknown) => analyzeTokenIds(controller, decorations, argument));
  register('sinkLens.selectModel', async () => {
    const path = await pickModel(context);
    if (path !== undefined) statusBar.setModel(modelDisplayName(controller.modelPath()));
    tree.refresh();
  });
  register('sinkLens.clearDecorations', () => decorations.clear());
  register('sinkLens.showPanel', () => controller.showPanel());
  register('sinkLens.showRun', (target: { runId: string; layer?: number; head?: number; token?: number }) => controller.showRun(target));
  register('sinkLens.revealToken', (target: { runId: string; token: number }) => controller.showRun(target));
  register('sinkLens.rerun', (argument: RunArgument) => {
    const runId = runIdOf(argument);
    return runId ? controller.rerun(runId) : undefined;
  });
  // With and without BOS side by side (Sink Analyses panel). From the explorer (a run or a layer), the
  // run is also re-run without BOS as before (a stored run, returned); from the palette, the prompt
  // under the cursor is compared and the comparison returned.
  register('sinkLens.compareWithoutBos', async (argument?: RunArgument) => {
    const runId = argument ? runIdOf(argument) : undefined;
    if (!runId) return analyses.compareWithoutBos();
    const rerun = await controller.rerun(runId, { addBos: false });
    await analyses.compareWithoutBos({ runId });
    return rerun;
  });
  register('sinkLens.analyzePromptsInFile', () => analyses.analyzePromptsInFile());
  register('sinkLens.ablateLayerHeads', (argument?: never) => analyses.ablateLayer(argument));
  // Internal (not in the palette): the report panel's "Ablate Selected Heads" runs through here,
  // so that the report side needs no handle on the analyses side.
  register('sinkLens.ablateHeads', (target: { runId: string; heads: HeadRef[] }) => analyses.ablateHeads(target));
  register('sinkLens.substituteFirstToken', (argument?: RunArgument) => analyses.substitute(argument));
  register('sinkLens.showAnalyses', () => analyses.showPanel());
  register('sinkLens.exportRun', (argument: RunArgument) => {
    const runId = runIdOf(argument);
    return runId ? controller.exportRun(runId) : undefined;
  });
  register('sinkLens.deleteRun', (argument: RunArgument) => {
    const runId = runIdOf(argument);
    return runId ? controller.deleteRun(runId) : undefined;
  });
  register('sinkLens.installCudaProvider', (argument?: unknown) => installCudaProviderCommand(context, client, log, argument));

  register('sinkLens.analyzeTrace', (folder?: vscode.Uri) => traces.analyzeFolder(folder instanceof vscode.Uri ? folder : undefined));
  register('sinkLens.openDemoTrace', () => traces.openDemo());
  register('sinkLens.showTrace', (target?: TraceArgument) => {
    const traceId = traceIdOf(target);
    return traceId ? traces.showTrace(traceId, target && 'selected' in target ? target.selected : undefined) : undefined;
  });
  register('sinkLens.deleteTrace', (target?: TraceArgument) => {
    const traceId = traceIdOf(target);
    return traceId ? traces.deleteTrace(traceId) : undefined;
  });
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(TRACE_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: TraceWebviewState | null) {
        traces.revive(panel, state ?? null);
      },
    }),
  );

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(ANALYSES_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: AnalysesWebviewState | null) {
        analyses.revive(panel, state ?? null);
      },
    }),
  );

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: WebviewState | null) {
        controller.revive(panel, state ?? null);
      },
    }),
    vscode.window.onDidChangeActiveTextEditor((editor) => void controller.restoreDecorations(editor)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.modelPath`)) statusBar.setModel(modelDisplayName(controller.modelPath()));
    }),
  );

  void controller.restoreDecorations(vscode.window.activeTextEditor);
  return { controller, decorations, store, tree, client, traces, analyses };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the worker is killed by AnalysisClient.dispose.
}
