/**
 * "Analyze Token Ids…": a run on token ids instead of text, for models without a tokenizer.json
 * (exports such as onnxruntime-genai's decoder.onnx often ship none). The ids come from the
 * selection or the list under the cursor (`[1, 17, 5]`, or a line of ids), else from an input box;
 * they go through the normal run path (panel, explorer, stored runs) exactly as given, without BOS.
 */
import * as vscode from 'vscode';
import type { TokenDecorations } from '../decorations/tokenDecorations';
import { sourceLabel } from '../prompts/promptUnderCursor';
import { findTokenIds, parseTokenIds } from '../prompts/tokenIds';
import type { AnalyzeResult, RunService } from '../runs/runService';

/** `argument` may carry the ids (`{ ids: [1, 17, 5] }`, e.g. from a keybinding's args); a menu's Uri is ignored. */
export async function analyzeTokenIds(runs: RunService, decorations: TokenDecorations, argument?: unknown): Promise<AnalyzeResult | undefined> {
  const given = idsArgument(argument);
  if (given) return runs.analyzeIds(given, 'token ids');
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    const { document, selection } = editor;
    const span = findTokenIds(
      document.getText(),
      document.offsetAt(selection.active),
      selection.isEmpty ? undefined : { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) },
    );
    if (span) {
      decorations.flash(editor, span.start, span.end);
      return runs.analyzeIds(span.ids, sourceLabel(document, span.start));
    }
  }
  const typed = await vscode.window.showInputBox({
    title: 'Sink Lens: Analyze Token Ids',
    prompt: 'Token ids, separated by commas or spaces (a JSON array works too). They are used exactly as given: no BOS is added.',
    placeHolder: '1, 17, 5, 300, 42',
    ignoreFocusOut: true,
    validateInput: (value) => parseTokenIds(value).error ?? null,
  });
  if (typed === undefined) return undefined;
  const parsed = parseTokenIds(typed);
  return parsed.ids ? runs.analyzeIds(parsed.ids, 'token ids') : undefined;
}

function idsArgument(argument: unknown): number[] | undefined {
  if (!argument || typeof argument !== 'object' || !('ids' in argument)) return undefined;
  const ids = (argument as { ids: unknown }).ids;
  return Array.isArray(ids) && ids.every((id) => Number.isSafeInteger(id) && id >= 0) ? (ids as number[]) : undefined;
}
