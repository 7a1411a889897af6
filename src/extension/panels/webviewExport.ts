/**
 * Saving what a panel exports, shared by the report and trace panels: the webview sends a PNG (a
 * data URL of a canvas) or CSV text with a proposed file name (checked by its channel), the host
 * asks where to save it in the workspace, writes it and answers with the path.
 */
import * as vscode from 'vscode';

/** The file's bytes of a PNG data URL or of CSV text; undefined when the data is missing. */
export function webviewExportBytes(kind: 'png' | 'csv', data: string | undefined): Uint8Array | undefined {
  if (data === undefined) return undefined;
  if (kind === 'png') return data ? Buffer.from(data.replace(/^data:image\/png;base64,/, ''), 'base64') : undefined;
  return Buffer.from(data, 'utf8');
}

/** Asks where to save (the workspace's first folder and `name` proposed), writes, says so; the path, or undefined when cancelled. */
export async function saveFile(name: string, bytes: Uint8Array): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, saveLabel: 'Export' });
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, bytes);
  void vscode.window.showInformationMessage(`Sink Lens: saved ${vscode.workspace.asRelativePath(uri)}`);
  return uri.fsPath;
}

/** A webview's export request answered: where it was saved, or null (the dialog was cancelled, or there was nothing to save). */
export async function saveExport(name: string, bytes: Uint8Array | undefined): Promise<{ path: string | null }> {
  return { path: bytes ? ((await saveFile(name, bytes)) ?? null) : null };
}
