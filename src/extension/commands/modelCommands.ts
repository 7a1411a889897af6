/** The commands about the model: choose it, and install the CUDA provider it may run on. */
import { modelDisplayName } from '../models/modelPaths';
import { pickModel } from '../models/modelPicker';
import type { CommandFactory } from './command';
import { installCudaProviderCommand } from './cudaInstallCommand';

export const selectModel: CommandFactory =
  ({ context, runs, statusBar, tree }) =>
  async () => {
    const path = await pickModel(context);
    if (path !== undefined) statusBar.setModel(modelDisplayName(runs.modelPath()));
    tree.refresh();
  };

export const installCudaProvider: CommandFactory =
  ({ context, client, log }) =>
  (argument?: unknown) =>
    installCudaProviderCommand(context, client, log, argument);
