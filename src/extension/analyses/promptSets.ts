/**
 * The prompts a multi-run analysis runs on: a stored run's prompt (from the explorer or the report
 * panel, with that run's own options so its baseline is the run the user is looking at), the prompt
 * under the cursor, or every prompt of the selection or file.
 */
import * as vscode from 'vscode';
import type { PromptInput, RunOptions } from '../../protocol/inputs';
import { enumeratePrompts } from '../prompts/promptEnumeration';
import { promptUnderCursor, sourceLabel } from '../prompts/promptUnderCursor';
import type { RunRecord, RunStore } from '../storage/runStore';

export interface PromptSet {
  prompts: PromptInput[];
  origin: string;
  modelPath?: string;
  /**
   * A stored run's own options (BOS, ε, token limit, truncation): an analysis of that run must see
   * the tokens it saw, so that its baseline is the run the user is looking at. Else the settings.
   */
  options?: RunOptions;
}

/** What the explorer passes: a run node, a layer node, or `{ runId }`. */
export type AnalysisTarget = { runId: string; layer?: number } | { kind: string; run?: RunRecord; layer?: number } | undefined;

export async function promptsOfRun(store: RunStore, target: AnalysisTarget): Promise<PromptSet | undefined> {
  if (!target || typeof target !== 'object') return undefined;
  const runId = 'runId' in target ? target.runId : 'run' in target ? target.run?.id : undefined;
  if (!runId) return undefined;
  const record = await store.get(runId);
  if (!record) {
    void vscode.window.showWarningMessage('Sink Lens: that run is no longer stored.');
    return undefined;
  }
  return { prompts: [record.prompt], origin: `run ${record.promptPreview}`, modelPath: record.modelPath, options: record.options };
}

export function promptAtCursor(editor: vscode.TextEditor | undefined): PromptSet | undefined {
  const found = promptUnderCursor(editor);
  if (!found) return undefined;
  return { prompts: [{ kind: 'text', text: found.span.text, source: found.source }], origin: found.source };
}

/** Every prompt of the selection (when there is one and not `wholeFile`) or of the whole file. */
export function promptsOfEditor(editor: vscode.TextEditor | undefined, wholeFile = false): PromptSet | undefined {
  if (!editor) {
    void vscode.window.showWarningMessage('Sink Lens: open a file with prompts (string literals or paragraphs) first.');
    return undefined;
  }
  const { document, selection } = editor;
  const range = wholeFile || selection.isEmpty ? undefined : { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) };
  const found = enumeratePrompts({ text: document.getText(), languageId: document.languageId, fileName: document.fileName }, range);
  if (found.length === 0) {
    void vscode.window.showWarningMessage('Sink Lens: no prompts found (no non-empty string literals or paragraphs).');
    return undefined;
  }
  const name = vscode.workspace.asRelativePath(document.uri);
  return {
    prompts: found.map((prompt) => ({ kind: 'text', text: prompt.text, source: sourceLabel(document, prompt.start) })),
    origin: `${found.length} prompt${found.length === 1 ? '' : 's'} of ${name}${range ? ' (selection)' : ''}`,
  };
}

export async function askWhichPrompts(): Promise<'cursor' | 'file' | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'The prompt under the cursor', value: 'cursor' as const },
      { label: "All of the file's prompts", description: 'string literals or paragraphs; gives the cross-input cosine too', value: 'file' as const },
    ],
    { title: 'Sink Lens: ablate each head on which prompts?', ignoreFocusOut: true },
  );
  return choice?.value;
}
