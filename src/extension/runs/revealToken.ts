/**
 * "Show in editor" for a token of a stored run: opens the document its prompt came from and selects
 * the token's source text, when the run kept where its prompt was.
 */
import * as vscode from 'vscode';
import type { RunStore } from '../storage/runStore';

export async function revealTokenInEditor(store: RunStore, runId: string, token: number): Promise<void> {
  const record = await store.get(runId);
  const stored = await store.load(runId);
  if (!record?.documentUri || !stored?.offsets) return;
  const reportToken = stored.report.tokens[token];
  if (!reportToken) return;
  const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(record.documentUri));
  const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  const start = document.positionAt(stored.offsets[Math.min(reportToken.start, stored.offsets.length - 1)]);
  const end = document.positionAt(stored.offsets[Math.min(reportToken.end, stored.offsets.length - 1)]);
  editor.selection = new vscode.Selection(start, end);
  editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
