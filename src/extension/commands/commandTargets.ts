/**
 * What a run or trace command acts on: the `{ runId }` / `{ traceId }` a tree item, a hover link or
 * a test passes, the node of a context menu, else the explorer's selection.
 */
import type * as vscode from 'vscode';
import type { RunsNode } from '../views/runsTree';

export type RunArgument = { runId: string } | RunsNode | undefined;
export type TraceArgument = { traceId: string; selected?: number } | RunsNode | undefined;

export function runIdOf(argument: RunArgument, treeView: vscode.TreeView<RunsNode>): string | undefined {
  if (!argument) {
    const selected = treeView.selection[0];
    return selected && 'run' in selected ? selected.run.id : undefined;
  }
  if ('runId' in argument) return argument.runId;
  return 'run' in argument ? argument.run.id : undefined;
}

export function traceIdOf(argument: TraceArgument, treeView: vscode.TreeView<RunsNode>): string | undefined {
  const target = argument ?? treeView.selection[0];
  if (!target) return undefined;
  if ('traceId' in target) return target.traceId;
  return target.kind === 'trace' ? target.trace.id : undefined;
}
