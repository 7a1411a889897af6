/**
 * The parts of the extension, built once on activation and handed to every command factory (as
 * rust-analyzer's Ctx is): the worker client, the stores, the explorer and status bar, the
 * decorations, the services that run prompts, analyses and traces, and the controllers of their
 * panels. Everything that needs disposing is pushed onto the extension context here. The object is
 * also the extension's API: tests read runs, decorations and panels through it.
 */
import * as vscode from 'vscode';
import { AnalysesService } from './analyses/analysesService';
import { DecorationRestorer } from './decorations/decorationRestorer';
import { TokenDecorations } from './decorations/tokenDecorations';
import { recentModels, workspaceModels } from './models/modelPicker';
import { ErrorNotices } from './notices/errorNotices';
import { AnalysesPanelController } from './panels/analyses/analysesPanelController';
import { ReportPanelController } from './panels/report/reportPanelController';
import { TracePanelController } from './panels/trace/tracePanelController';
import { EditorTracker } from './prompts/promptUnderCursor';
import { RunService } from './runs/runService';
import { RunStore } from './storage/runStore';
import { TraceStore } from './storage/traceStore';
import { TraceService } from './traces/traceService';
import { RunsTreeProvider, type RunsNode } from './views/runsTree';
import { SinkStatusBar } from './views/statusBar';
import { AnalysisClient } from './worker/analysisClient';

export interface SinkLens {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  client: AnalysisClient;
  runStore: RunStore;
  traceStore: TraceStore;
  tree: RunsTreeProvider;
  treeView: vscode.TreeView<RunsNode>;
  statusBar: SinkStatusBar;
  decorations: TokenDecorations;
  decorationRestorer: DecorationRestorer;
  notices: ErrorNotices;
  editors: EditorTracker;
  runs: RunService;
  reportPanel: ReportPanelController;
  analyses: AnalysesService;
  analysesPanel: AnalysesPanelController;
  traces: TraceService;
  tracePanel: TracePanelController;
}

export function createSinkLens(context: vscode.ExtensionContext): SinkLens {
  const own = <T extends vscode.Disposable>(value: T): T => (context.subscriptions.push(value), value);
  const log = own(vscode.window.createOutputChannel('Sink Lens', { log: true }));
  const { extensionUri } = context;
  // Runs and traces are kept in the workspace's storage; per-checkpoint trace results globally.
  const storageFolder = (context.storageUri ?? context.globalStorageUri).fsPath;
  const runStore = new RunStore(storageFolder);
  const traceStore = new TraceStore(storageFolder);
  const client = own(new AnalysisClient(vscode.Uri.joinPath(extensionUri, 'dist', 'worker.js').fsPath, (line) => log.info(line)));
  const tree = own(new RunsTreeProvider(runStore));
  const treeView = own(vscode.window.createTreeView('sinkLens.runs', { treeDataProvider: tree, showCollapseAll: true }));
  const statusBar = own(new SinkStatusBar());
  const decorations = own(new TokenDecorations());
  const notices = new ErrorNotices(log);
  const editors = own(new EditorTracker());
  const refresh = () => tree.refresh();
  const runs = own(new RunService({ extensionPath: extensionUri.fsPath, client, store: runStore, statusBar, decorations, notices, log, onDidStore: refresh }));
  const reportPanel = own(new ReportPanelController(extensionUri, runs, runStore, log));
  const analysesPanel = own(new AnalysesPanelController(extensionUri, log));
  const analyses = new AnalysesService({ client, store: runStore, panel: analysesPanel, editors, notices, log, modelPath: () => runs.modelPath() });
  const cacheFolder = vscode.Uri.joinPath(context.globalStorageUri, 'trace-cache').fsPath;
  const traces = own(new TraceService({ extensionUri, client, store: traceStore, runs, notices, log, cacheFolder, onDidStore: refresh }));
  const tracePanel = own(new TracePanelController(extensionUri, traces, log));
  // The explorer lists traces, and models without runs too. Workspace models are found once per
  // activation (a folder walk); recent ones are read on every refresh.
  tree.setTraceSource(traceStore);
  const inWorkspace = workspaceModels();
  tree.setModelSource(() => [...new Set([...recentModels(context), ...inWorkspace])]);
  const decorationRestorer = new DecorationRestorer(runStore, decorations);
  return {
    context,
    log,
    client,
    runStore,
    traceStore,
    tree,
    treeView,
    statusBar,
    decorations,
    decorationRestorer,
    notices,
    editors,
    runs,
    reportPanel,
    analyses,
    analysesPanel,
    traces,
    tracePanel,
  };
}
