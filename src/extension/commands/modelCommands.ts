/** The commands about the model: choose it, open the demo model's sample prompts, and install the CUDA provider it may run on. */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DEMO_PROMPTS_FILE } from '../../protocol/demoModel';
import { bundledModelPath, modelDisplayName } from '../models/modelPaths';
import { pickModel } from '../models/modelPicker';
import type { CommandFactory } from './command';
import { installCudaProviderCommand } from './cudaInstallCommand';

export const selectModel: CommandFactory =
  ({ context, runs, runStore, statusBar, tree }) =>
  async () => {
    const path = await pickModel(
      context,
      (await runStore.list()).map((run) => run.modelPath),
    );
    if (path !== undefined) statusBar.setModel(modelDisplayName(runs.modelPath()));
    tree.refresh();
  };

export const installCudaProvider: CommandFactory =
  ({ context, client, log }) =>
  (argument?: unknown) =>
    installCudaProviderCommand(context, client, log, argument);

/**
 * The bundled demo model's sample prompts (its task language, on which it grows its sink), in the
 * first editor column, beside the Sink Report: put the cursor on one and analyse it.
 */
export const openDemoPrompts: CommandFactory =
  ({ context }) =>
  async () => {
    const document = await vscode.workspace.openTextDocument(join(bundledModelPath(context.extensionPath), DEMO_PROMPTS_FILE));
    return vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preview: false });
  };
