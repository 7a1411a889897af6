/**
 * After a reload, shades an editor's prompt again from its newest stored run, when that prompt's
 * text is still exactly where it was. Each document is looked at once per session.
 */
import type * as vscode from 'vscode';
import { readSettings } from '../settings/settings';
import type { RunStore } from '../storage/runStore';
import type { TokenDecorations } from './tokenDecorations';

export class DecorationRestorer {
  private readonly restoredDocuments = new Set<string>();

  constructor(
    private readonly store: RunStore,
    private readonly decorations: TokenDecorations,
  ) {}

  async restore(editor: vscode.TextEditor | undefined): Promise<void> {
    if (!editor || !readSettings().decorationsEnabled) return;
    const uri = editor.document.uri.toString();
    if (this.restoredDocuments.has(uri)) return;
    this.restoredDocuments.add(uri);
    if (this.decorations.snapshot(editor.document.uri)) return;
    const record = (await this.store.list()).find((run) => run.documentUri === uri);
    const stored = record ? await this.store.load(record.id) : undefined;
    const offsets = stored?.offsets;
    if (!record || !stored || !offsets || stored.sourceText == null) return;
    if (editor.document.getText().slice(offsets[0], offsets.at(-1)) !== stored.sourceText) return;
    this.decorations.show(editor.document, offsets, { runId: record.id, report: stored.report }, readSettings().decorationLayer);
  }
}
