/** The commands of checkpoint traces, shown in the trace panel and listed in the explorer. */
import * as vscode from 'vscode';
import type { CommandFactory } from './command';
import { traceIdOf, type TraceArgument } from './commandTargets';

export const analyzeTrace: CommandFactory =
  ({ traces }) =>
  (folder?: unknown) =>
    traces.analyzeFolder(folder instanceof vscode.Uri ? folder : undefined);

export const openDemoTrace: CommandFactory =
  ({ traces }) =>
  () =>
    traces.openDemo();

export const showTrace: CommandFactory =
  ({ tracePanel, treeView }) =>
  (target?: TraceArgument) => {
    const traceId = traceIdOf(target, treeView);
    return traceId ? tracePanel.showTrace(traceId, target && 'selected' in target ? target.selected : undefined) : undefined;
  };

export const deleteTrace: CommandFactory =
  ({ traces, treeView }) =>
  (target?: TraceArgument) => {
    const traceId = traceIdOf(target, treeView);
    return traceId ? traces.deleteTrace(traceId) : undefined;
  };
