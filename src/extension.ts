/**
 * Activation: builds the parts (src/extension/sinkLens.ts), registers every command from the one
 * list below (each a thin factory of the parts, in src/extension/commands/), the serializers that
 * restore the three panels, and the listeners of editors and settings. Everything heavy lives in
 * the worker process. The returned parts are the extension's API; tests use them.
 */
import * as vscode from 'vscode';
import * as analysisCommands from './extension/commands/analysisCommands';
import type { CommandFactory } from './extension/commands/command';
import * as modelCommands from './extension/commands/modelCommands';
import * as runCommands from './extension/commands/runCommands';
import * as traceCommands from './extension/commands/traceCommands';
import { modelDisplayName } from './extension/models/modelPaths';
import { ANALYSES_PANEL_VIEW_TYPE } from './extension/panels/analyses/analysesPanel';
import { REPORT_PANEL_VIEW_TYPE } from './extension/panels/report/reportPanel';
import { TRACE_PANEL_VIEW_TYPE } from './extension/panels/trace/tracePanel';
import { SECTION } from './extension/settings/settings';
import { createSinkLens, type SinkLens } from './extension/sinkLens';

const COMMANDS: Record<string, CommandFactory> = {
  'sinkLens.analyzePrompt': runCommands.analyzePrompt,
  'sinkLens.analyzeTokenIds': runCommands.analyzeTokenIds,
  'sinkLens.rerun': runCommands.rerun,
  'sinkLens.compareWithoutBos': runCommands.compareWithoutBos,
  'sinkLens.exportRun': runCommands.exportRun,
  'sinkLens.deleteRun': runCommands.deleteRun,
  'sinkLens.showPanel': runCommands.showPanel,
  'sinkLens.showRun': runCommands.showRun,
  'sinkLens.revealToken': runCommands.revealToken,
  'sinkLens.clearDecorations': runCommands.clearDecorations,
  'sinkLens.ablateHeads': runCommands.ablateHeads,
  'sinkLens.analyzePromptsInFile': analysisCommands.analyzePromptsInFile,
  'sinkLens.ablateLayerHeads': analysisCommands.ablateLayerHeads,
  'sinkLens.substituteFirstToken': analysisCommands.substituteFirstToken,
  'sinkLens.showAnalyses': analysisCommands.showAnalyses,
  'sinkLens.analyzeTrace': traceCommands.analyzeTrace,
  'sinkLens.openDemoTrace': traceCommands.openDemoTrace,
  'sinkLens.showTrace': traceCommands.showTrace,
  'sinkLens.deleteTrace': traceCommands.deleteTrace,
  'sinkLens.selectModel': modelCommands.selectModel,
  'sinkLens.installCudaProvider': modelCommands.installCudaProvider,
};

export type SinkLensApi = SinkLens;

export function activate(context: vscode.ExtensionContext): SinkLensApi {
  const lens = createSinkLens(context);
  for (const [command, factory] of Object.entries(COMMANDS)) context.subscriptions.push(vscode.commands.registerCommand(command, factory(lens)));
  const restore = (viewType: string, revive: (panel: vscode.WebviewPanel, state: unknown) => void) =>
    vscode.window.registerWebviewPanelSerializer(viewType, { deserializeWebviewPanel: async (panel, state) => revive(panel, state) });
  context.subscriptions.push(
    restore(REPORT_PANEL_VIEW_TYPE, (panel, state) => lens.reportPanel.revive(panel, state)),
    restore(TRACE_PANEL_VIEW_TYPE, (panel, state) => lens.tracePanel.revive(panel, state)),
    restore(ANALYSES_PANEL_VIEW_TYPE, (panel, state) => lens.analysesPanel.revive(panel, state)),
    vscode.window.onDidChangeActiveTextEditor((editor) => void lens.decorationRestorer.restore(editor)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.modelPath`)) lens.statusBar.setModel(modelDisplayName(lens.runs.modelPath()));
    }),
  );
  void lens.decorationRestorer.restore(vscode.window.activeTextEditor);
  return lens;
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the worker is killed by AnalysisClient.dispose.
}
