/**
 * "The prompt under the cursor" in an editor, for every command that analyses one: the selection,
 * else the string literal, YAML value, fenced block or paragraph around the cursor
 * (promptExtraction.ts), with a label of where it came from (`file.py:12`). The user is told when
 * there is no editor or no prompt.
 */
import * as vscode from 'vscode';
import { extractPrompt } from './promptExtraction';
import type { PromptSpan } from './promptSpan';

export interface PromptAtCursor {
  document: vscode.TextDocument;
  span: PromptSpan;
  /** `relative/path:line`, the prompt's source in runs and analyses. */
  source: string;
}

export function promptUnderCursor(editor: vscode.TextEditor | undefined): PromptAtCursor | undefined {
  if (!editor) {
    void vscode.window.showWarningMessage('Sink Lens: open a file and put the cursor in a prompt first.');
    return undefined;
  }
  const { document, selection } = editor;
  const span = extractPrompt(
    { text: document.getText(), languageId: document.languageId, fileName: document.fileName },
    document.offsetAt(selection.active),
    selection.isEmpty ? undefined : { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) },
  );
  if (!span || span.text.trim() === '') {
    void vscode.window.showWarningMessage('Sink Lens: no prompt under the cursor. Put it inside a string literal, a Markdown block or a paragraph, or select the text.');
    return undefined;
  }
  return { document, span, source: sourceLabel(document, span.start) };
}

/** `relative/path:line` of a document offset. */
export function sourceLabel(document: vscode.TextDocument, offset: number): string {
  return `${vscode.workspace.asRelativePath(document.uri)}:${document.positionAt(offset).line + 1}`;
}

/**
 * The active text editor, else the last one whose document is still open: a command run from a
 * panel, the explorer or the output has no active editor, but the user means the one they were in.
 */
export class EditorTracker implements vscode.Disposable {
  private last: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscription = vscode.window.onDidChangeActiveTextEditor((editor) => {
    if (editor) this.last = editor;
  });

  activeOrLast(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) return active;
    const last = this.last;
    if (!last || last.document.isClosed) return undefined;
    return vscode.window.visibleTextEditors.find((editor) => editor.document === last.document) ?? last;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
