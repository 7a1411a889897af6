/**
 * "Select Model…": the bundled demo model, the models used before (chosen here, or named by a stored
 * run: a run started from a setting or another machine's settings counts too), models found in the
 * workspace, decoder checkpoints in the local Hugging Face hub cache, or a file/folder from disk.
 * The choice is inspected (graph structure only, no session) and summarised before its first run,
 * so an unusable model is reported at once.
 */
import * as vscode from 'vscode';
import { asSinkLensError } from '../../protocol/errors';
import { listHubCheckpoints } from '../../engine/hf/hubCache';
import { findModelFolders, inspectModel, ModelInspection } from '../../engine/model/inspectModel';
import { isModelIn } from '../../engine/model/modelFiles';
import { bundledModelPath, modelDisplayName, modelExists } from './modelPaths';
import { SECTION } from '../settings/settings';

const RECENT_KEY = 'sinkLens.recentModels';

/** `runModels`: the model of each stored run, newest first (repeats allowed: they are counted). */
export async function pickModel(context: vscode.ExtensionContext, runModels: readonly string[] = []): Promise<string | undefined> {
  const bundled = bundledModelPath(context.extensionPath);
  const runs = new Map<string, number>();
  for (const path of runModels) runs.set(path, (runs.get(path) ?? 0) + 1);
  // Models still where they were: a deleted folder is not offered.
  const recent = [...new Set([...recentModels(context), ...runs.keys()])].filter((path) => !isModelIn(path, bundled) && modelExists(path));
  const usedIn = (path: string) => (runs.has(path) ? `used before: ${runs.get(path)} stored run${runs.get(path) === 1 ? '' : 's'}` : 'used before');
  type Item = vscode.QuickPickItem & { value: string | 'browse' };
  const items: Item[] = [
    { label: '$(package) sinklet', description: 'bundled demo model', detail: bundled, value: '' },
    ...recent.map((path) => ({ label: `$(history) ${modelDisplayName(path)}`, description: usedIn(path), detail: path, value: path })),
    ...workspaceModels()
      .filter((path) => !recent.includes(path))
      .map((path) => ({ label: `$(file-binary) ${modelDisplayName(path)}`, description: 'in the workspace', detail: path, value: path })),
    ...hubCacheItems(recent),
    { label: '$(folder-opened) Browse…', description: 'a model.onnx file, its folder, or a Hugging Face checkpoint folder', value: 'browse' },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'Sink Lens: Select Model', matchOnDetail: true });
  if (!choice) return undefined;
  let path = choice.value;
  if (path === 'browse') {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      filters: { 'ONNX models': ['onnx'] },
      openLabel: 'Use This Model',
    });
    if (!picked?.[0]) return undefined;
    path = picked[0].fsPath;
  }
  if (path && !(await confirmInspection(path))) return undefined;
  // User settings: a workspace cannot point a trusted user at a model (modelPath is restricted).
  await vscode.workspace.getConfiguration(SECTION).update('modelPath', path, vscode.ConfigurationTarget.Global);
  if (path) await context.globalState.update(RECENT_KEY, [path, ...recentModels(context).filter((entry) => entry !== path)].slice(0, 8));
  return path;
}

/**
 * Checkpoints already in the hub cache, by hub id (never downloaded). Unsupported architectures are
 * listed too, saying why: choosing one shows the reason instead of a silent omission.
 */
function hubCacheItems(recent: string[]): (vscode.QuickPickItem & { value: string })[] {
  return listHubCheckpoints()
    .filter((checkpoint) => !recent.includes(checkpoint.modelPath))
    .map((checkpoint) => ({
      label: `${checkpoint.supported ? '$(database)' : '$(circle-slash)'} ${checkpoint.modelPath}`,
      description: checkpoint.supported ? `Hugging Face cache, ${checkpoint.modelType}` : `not supported: ${checkpoint.reason}`,
      detail: checkpoint.folder,
      value: checkpoint.modelPath,
    }));
}

export function recentModels(context: vscode.ExtensionContext): string[] {
  return context.globalState.get<string[]>(RECENT_KEY, []).filter(Boolean);
}

/** Folders of the (trusted) workspace that hold an .onnx model. */
export function workspaceModels(): string[] {
  if (!vscode.workspace.isTrusted) return [];
  return (vscode.workspace.workspaceFolders ?? []).flatMap((folder) => findModelFolders(folder.uri.fsPath, 3));
}

function describe(summary: ModelInspection): string {
  const heads = summary.heads === null ? '' : ` × ${summary.heads} heads${summary.kvHeads && summary.kvHeads !== summary.heads ? ` (${summary.kvHeads} KV)` : ''}`;
  const size = summary.sizeBytes >= 2 ** 30 ? `${(summary.sizeBytes / 2 ** 30).toFixed(1)} GB` : `${(summary.sizeBytes / 2 ** 20).toFixed(1)} MB`;
  const attention =
    summary.attention === 'recomputed'
      ? ', attention recomputed beside a fused operator'
      : summary.attention === 'fused-qk-output'
        ? ", attention read from the fused operator's own probabilities"
        : '';
  const tokenizer = summary.hasTokenizer ? '' : ' No tokenizer.json: analyse token ids with "Sink Lens: Analyze Token Ids…", or add the tokenizer.';
  return `${summary.name}: ${summary.architecture}, ${summary.layers} layers${heads}, ${summary.dtype}, ${size}${attention}.${tokenizer}`;
}

/** Shows what the model is; on an unusable model, says why and lets the user pick again. */
async function confirmInspection(path: string): Promise<boolean> {
  try {
    const summary = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Sink Lens: reading the model' }, async () => inspectModel(path));
    void vscode.window.showInformationMessage(`Sink Lens will use ${describe(summary)}`);
    return true;
  } catch (error) {
    const failure = asSinkLensError(error, 'model');
    const again = await vscode.window.showErrorMessage(`Sink Lens cannot use this model: ${failure.message}`, 'Select Model…');
    if (again) void vscode.commands.executeCommand('sinkLens.selectModel');
    return false;
  }
}
