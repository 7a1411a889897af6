/** "Select Model…": the bundled demo model, recent choices, or a file/folder from disk. */
import * as vscode from 'vscode';
import { bundledModelPath, modelDisplayName, SECTION } from './config';

const RECENT_KEY = 'sinkLens.recentModels';

export async function pickModel(context: vscode.ExtensionContext): Promise<string | undefined> {
  const recent = context.globalState.get<string[]>(RECENT_KEY, []);
  type Item = vscode.QuickPickItem & { value: string | 'browse' };
  const items: Item[] = [
    { label: '$(package) sinklet', description: 'bundled demo model', detail: bundledModelPath(context.extensionPath), value: '' },
    ...recent.map((path) => ({ label: `$(history) ${modelDisplayName(path)}`, description: 'recent', detail: path, value: path })),
    { label: '$(folder-opened) Browse…', description: 'a model.onnx file or the folder that holds it', value: 'browse' },
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
  // User settings: a workspace cannot point a trusted user at a model (modelPath is restricted).
  await vscode.workspace.getConfiguration(SECTION).update('modelPath', path, vscode.ConfigurationTarget.Global);
  if (path) await context.globalState.update(RECENT_KEY, [path, ...recent.filter((entry) => entry !== path)].slice(0, 8));
  return path;
}
