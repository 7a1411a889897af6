/**
 * The explorer: Models → Runs → Layers → Heads. Built from the run index only (sink scores are
 * kept there), so expanding never loads a report. Selecting a node shows it in the report panel.
 */
import * as vscode from 'vscode';
import { modelDisplayName } from '../models/modelPaths';
import { Disposable } from '../dispose';
import type { RunRecord, RunStore } from '../storage/runStore';
import type { TraceRecord } from '../storage/traceStore';

export type RunsNode =
  | { kind: 'model'; modelPath: string; runs: RunRecord[] }
  | { kind: 'run'; run: RunRecord }
  | { kind: 'layer'; run: RunRecord; layer: number }
  | { kind: 'head'; run: RunRecord; layer: number; head: number }
  | { kind: 'traces'; traces: TraceRecord[] }
  | { kind: 'trace'; trace: TraceRecord };

export class RunsTreeProvider extends Disposable implements vscode.TreeDataProvider<RunsNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<RunsNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  /** Checkpoint traces (storage/traceStore.ts), listed under a "Traces" node when there are any. */
  private traces: { list(): Promise<TraceRecord[]> } | undefined;

  /** Models without runs yet: recently selected ones and those found in the workspace. */
  private knownModels: () => string[] = () => [];

  constructor(private readonly store: RunStore) {
    super();
  }

  setModelSource(models: () => string[]): void {
    this.knownModels = models;
    this.refresh();
  }

  setTraceSource(traces: { list(): Promise<TraceRecord[]> }): void {
    this.traces = traces;
    this.refresh();
  }

  refresh(): void {
    this._onDidChangeTreeData.fire(undefined);
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) {
      const byModel = new Map<string, RunRecord[]>();
      for (const run of await this.store.list()) {
        byModel.set(run.modelPath, [...(byModel.get(run.modelPath) ?? []), run]);
      }
      for (const modelPath of this.knownModels()) if (!byModel.has(modelPath)) byModel.set(modelPath, []);
      const traces = (await this.traces?.list()) ?? [];
      return [...[...byModel].map(([modelPath, runs]): RunsNode => ({ kind: 'model', modelPath, runs })), ...(traces.length ? [{ kind: 'traces', traces } as const] : [])];
    }
    switch (node.kind) {
      case 'model':
        return node.runs.map((run) => ({ kind: 'run', run }));
      case 'run':
        return node.run.sinkScore.map((_, layer) => ({ kind: 'layer', run: node.run, layer }));
      case 'layer':
        return node.run.sinkScore[node.layer].map((_, head) => ({ kind: 'head', run: node.run, layer: node.layer, head }));
      case 'traces':
        return node.traces.map((trace) => ({ kind: 'trace', trace }));
      case 'head':
      case 'trace':
        return [];
    }
  }

  getParent(node: RunsNode): RunsNode | undefined {
    if (node.kind === 'head') return { kind: 'layer', run: node.run, layer: node.layer };
    if (node.kind === 'layer') return { kind: 'run', run: node.run };
    return undefined; // a trace's parent is rebuilt by getChildren; reveal() is not used on traces
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'model': {
        const item = new vscode.TreeItem(modelDisplayName(node.modelPath), node.runs.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `model:${node.modelPath}`;
        item.description = node.runs.length ? `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}` : 'no runs yet (Select Model… to use it)';
        item.tooltip = node.modelPath;
        item.iconPath = new vscode.ThemeIcon('circuit-board');
        item.contextValue = 'model';
        return item;
      }
      case 'run': {
        const { run } = node;
        const item = new vscode.TreeItem(run.promptPreview || '(empty prompt)', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${run.id}`;
        const time = new Date(run.createdAt).toLocaleTimeString();
        item.description = `${time} · ${run.executionProvider.toUpperCase()}${run.options.addBos ? '' : ' · no BOS'}`;
        const tooltip = new vscode.MarkdownString();
        tooltip.appendMarkdown('**Prompt**\n\n');
        tooltip.appendText(run.prompt.kind === 'text' ? run.prompt.text.slice(0, 400) : run.prompt.ids.join(', '));
        tooltip.appendMarkdown(`\n\n${new Date(run.createdAt).toLocaleString()} · ${run.executionProvider.toUpperCase()} · BOS ${run.options.addBos ? 'on' : 'off'}`);
        tooltip.appendMarkdown(`\n\nsinkRate (ε = ${run.epsilon}): **${(run.sinkRate * 100).toFixed(1)} %** of heads`);
        item.tooltip = tooltip;
        item.iconPath = new vscode.ThemeIcon('pulse');
        item.contextValue = 'run';
        item.command = { command: 'sinkLens.showRun', title: 'Show Run', arguments: [{ runId: run.id }] };
        return item;
      }
      case 'layer': {
        const scores = node.run.sinkScore[node.layer];
        const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
        const item = new vscode.TreeItem(`Layer ${node.layer}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `layer:${node.run.id}:${node.layer}`;
        item.description = `sink ${mean.toFixed(3)}`;
        item.tooltip = `Layer ${node.layer}: mean sinkScore over ${scores.length} heads = ${mean.toFixed(4)} (ε ${node.run.epsilon}, uniform baseline ${node.run.uniformBaseline.toFixed(4)})`;
        item.iconPath = new vscode.ThemeIcon(mean > node.run.epsilon ? 'flame' : 'layers');
        item.contextValue = 'layer';
        item.command = { command: 'sinkLens.showRun', title: 'Show Layer', arguments: [{ runId: node.run.id, layer: node.layer }] };
        return item;
      }
      case 'head': {
        const score = node.run.sinkScore[node.layer][node.head];
        const item = new vscode.TreeItem(`Head ${node.head}`, vscode.TreeItemCollapsibleState.None);
        item.id = `head:${node.run.id}:${node.layer}:${node.head}`;
        item.description = `sink ${score.toFixed(3)}`;
        item.tooltip = `Layer ${node.layer}, head ${node.head}: sinkScore ${score.toFixed(4)} — ${
          score > node.run.epsilon ? 'a sink (above ε)' : score > 2 * node.run.uniformBaseline ? 'above the uniform baseline, below ε' : 'not a sink'
        }`;
        item.iconPath = new vscode.ThemeIcon(score > node.run.epsilon ? 'flame' : 'symbol-field');
        item.contextValue = 'head';
        item.command = { command: 'sinkLens.showRun', title: 'Show Head', arguments: [{ runId: node.run.id, layer: node.layer, head: node.head }] };
        return item;
      }
      case 'traces': {
        const item = new vscode.TreeItem('Traces', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'traces';
        item.description = `${node.traces.length} trace${node.traces.length === 1 ? '' : 's'}`;
        item.tooltip = "Checkpoint traces: the sink metrics across a training run's checkpoints";
        item.iconPath = new vscode.ThemeIcon('graph-line');
        item.contextValue = 'traces';
        return item;
      }
      case 'trace': {
        const { trace } = node;
        const item = new vscode.TreeItem(trace.name, vscode.TreeItemCollapsibleState.None);
        item.id = `trace:${trace.id}`;
        item.description = `${trace.checkpoints} checkpoint${trace.checkpoints === 1 ? '' : 's'}`;
        item.tooltip = `${trace.folder}\n${trace.checkpoints} checkpoints · ${trace.prompts} probe prompt${trace.prompts === 1 ? '' : 's'} · ${trace.executionProvider.toUpperCase()} · ${new Date(trace.createdAt).toLocaleString()}`;
        item.iconPath = new vscode.ThemeIcon('graph-line');
        item.contextValue = 'trace';
        item.command = { command: 'sinkLens.showTrace', title: 'Show Trace', arguments: [{ traceId: trace.id }] };
        return item;
      }
    }
  }
}
