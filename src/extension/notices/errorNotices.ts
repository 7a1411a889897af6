/**
 * What the user is told when something fails: one line from the error (the engine's messages say
 * what to do next), with the actions that help for its category: another model or the settings for
 * a model or usage problem, the log for a runtime one, "Analyze Token Ids…" for a model without a
 * tokenizer. A cancellation is news, not an error. Every part of the extension reports through the
 * one instance the extension makes (tests watch it).
 */
import * as vscode from 'vscode';
import { CancelledError, SinkLensError } from '../../protocol/errors';

export const ANALYZE_TOKEN_IDS_ACTION = 'Analyze Token Ids…';
const SELECT_MODEL = 'Select Model…';
const OPEN_SETTINGS = 'Open Settings';
const SHOW_LOG = 'Show Log';

/**
 * What the extension says when a text prompt meets a model without a tokenizer: the engine's
 * message, and the way on in VS Code (the CLI says `--ids` instead).
 */
export function noTokenizerNotice(error: SinkLensError): { message: string; actions: string[] } {
  return {
    message: `${error.message}: put the cursor in a list of ids (e.g. [1, 17, 5, 300]) and run "Sink Lens: ${ANALYZE_TOKEN_IDS_ACTION}"`,
    actions: [ANALYZE_TOKEN_IDS_ACTION, SELECT_MODEL],
  };
}

export class ErrorNotices {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  show(error: unknown): void {
    if (error instanceof CancelledError) {
      void vscode.window.showInformationMessage('Sink Lens: analysis cancelled; the worker was stopped and its memory freed.');
      return;
    }
    const known = error instanceof SinkLensError ? error : new SinkLensError('runtime', 'unexpected', error instanceof Error ? error.message : String(error));
    this.log.error(`${known.category}/${known.code}: ${known.message}`);
    const notice = known.code === 'no-tokenizer' ? noTokenizerNotice(known) : undefined;
    const actions = notice?.actions ?? (known.category === 'model' || known.category === 'usage' ? [SELECT_MODEL, OPEN_SETTINGS] : [SHOW_LOG, OPEN_SETTINGS]);
    void vscode.window.showErrorMessage(`Sink Lens: ${notice?.message ?? known.message}`, ...actions).then((choice) => {
      if (choice === ANALYZE_TOKEN_IDS_ACTION) void vscode.commands.executeCommand('sinkLens.analyzeTokenIds');
      if (choice === SELECT_MODEL) void vscode.commands.executeCommand('sinkLens.selectModel');
      if (choice === OPEN_SETTINGS) void vscode.commands.executeCommand('workbench.action.openSettings', 'sinkLens');
      if (choice === SHOW_LOG) this.log.show();
    });
  }
}
