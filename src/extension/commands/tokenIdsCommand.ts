/**
 * "Analyze Token Ids…": a run on token ids instead of text, for models without a tokenizer.json
 * (exports such as onnxruntime-genai's decoder.onnx often ship none). The ids come from the
 * selection or the list under the cursor (`[1, 17, 5]`, or a line of ids), else from an input box;
 * they go through the normal run path (panel, explorer, stored runs) exactly as given, without BOS.
 */
import * as vscode from 'vscode';
import type { AnalysisController, AnalyzeResult } from '../runs/analysisController';
import type { SinkLensError } from '../../protocol/errors';
import { findTokenIds, parseTokenIds } from '../prompts/tokenIds';
import type { TokenDecorations } from '../decorations/tokenDecorations';

export const ANALYZE_TOKEN_IDS_COMMAND = 'sinkLens.analyzeTokenIds';
export const ANALYZE_TOKEN_IDS_ACTION = 'Analyze Token Ids…';

/** `argument` may carry the ids (`{ ids: [1, 17, 5] }`, e.g. from a keybinding's args); a menu's Uri is ignored. */
export async function analyzeTokenIds(
  controller: AnalysisController,
  decorations: TokenDecorations,
  argument?: unknown,
): Promise<AnalyzeResult | undefined> {
  const given = idsArgument(argument);
  if (given) return controller.analyzeIds(given, 'token ids');
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
      return controller.analyzeIds(span.ids, `${vscode.workspace.asRelativePath(document.uri)}:${document.positionAt(span.start).line + 1}`);
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
  return parsed.ids ? controller.analyzeIds(parsed.ids, 'token ids') : undefined;
}

function idsArgument(argument: unknown): number[] | undefined {
  if (!argument || typeof argument !== 'object' || !('ids' in argument)) return undefined;
  const ids = (argument as { ids: unknown }).ids;
  return Array.isArray(ids) && ids.every((id) => Number.isSafeInteger(id) && id >= 0) ? (ids as number[]) : undefined;
}

/**
 * What the extension says when a text prompt meets a model without a tokenizer: the engine's
 * message, and the way on in VS Code (the CLI says `--ids` instead).
 */
export function noTokenizerNotice(error: SinkLensError): { message: string; actions: string[] } {
  return {
    message: `${error.message}: put the cursor in a list of ids (e.g. [1, 17, 5, 300]) and run "Sink Lens: ${ANALYZE_TOKEN_IDS_ACTION}"`,
    actions: [ANALYZE_TOKEN_IDS_ACTION, 'Select Model…'],
  };
}
