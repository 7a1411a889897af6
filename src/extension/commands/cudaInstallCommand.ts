/**
 * "Sink Lens: Install CUDA Provider": the only network access Sink Lens makes, and only when the
 * user asks and agrees. Downloads Microsoft.ML.OnnxRuntime.Gpu.Linux for the installed
 * onnxruntime-node version from `sinkLens.cudaProviderSource` (nuget.org by default), checks its
 * SHA-512, keeps the provider libraries in the extension's global storage and places them beside
 * onnxruntime's binding; then stops the idle worker so that the next run tries CUDA.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisClient } from '../worker/analysisClient';
import { CancelledError, SinkLensError } from '../../protocol/errors';
import { cudaPackageUrl, DEFAULT_CUDA_PROVIDER_SOURCE, installCudaProvider, type CudaInstallResult } from '../../engine/runtime/cudaProviderInstaller';
import { installedOnnxruntimeVersion } from '../../engine/runtime/onnxruntimeFiles';
import { withCancellableProgress } from '../notices/progress';
import { SECTION } from '../settings/settings';

/** The GPU package is about 230 MB for onnxruntime 1.2x (the exact size is shown while downloading). */
const APPROXIMATE_SIZE = 'about 230 MB';

/**
 * Options a test passes as the command's argument; honoured only when the extension runs in test
 * mode (ExtensionMode.Test), so that a command link can never point the install elsewhere.
 */
export interface CudaInstallCommandOptions {
  /** Answer the consent dialog (true = "Download and Install"). */
  consent?: boolean;
  /** Place the libraries here instead of onnxruntime-node's binding folder. */
  binaryFolder?: string;
}

export function cudaProviderSource(): string {
  const configured = vscode.workspace.getConfiguration(SECTION).get<string>('cudaProviderSource', '').trim();
  return configured || DEFAULT_CUDA_PROVIDER_SOURCE;
}

export async function installCudaProviderCommand(
  context: vscode.ExtensionContext,
  client: AnalysisClient,
  log: vscode.LogOutputChannel,
  argument?: unknown,
): Promise<(CudaInstallResult & { storageFolder: string }) | undefined> {
  const options = context.extensionMode === vscode.ExtensionMode.Test && typeof argument === 'object' && argument !== null ? (argument as CudaInstallCommandOptions) : {};
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    void vscode.window.showErrorMessage(`Sink Lens: the CUDA provider package exists for linux-x64 only, not ${process.platform}-${process.arch}.`);
    return undefined;
  }
  const version = installedOnnxruntimeVersion();
  const source = cudaProviderSource();
  let url: string;
  try {
    url = cudaPackageUrl(source, version);
    const protocol = new URL(url).protocol;
    if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`unsupported protocol ${protocol}`);
  } catch (error) {
    showFailure(`sinkLens.cudaProviderSource is not a usable URL (${source}: ${(error as Error).message})`, log);
    return undefined;
  }
  const install = 'Download and Install';
  const consent =
    options.consent !== undefined
      ? options.consent
      : (await vscode.window.showInformationMessage(
          'Sink Lens: download the onnxruntime CUDA provider?',
          {
            modal: true,
            detail:
              `Downloads the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux ${version} (${APPROXIMATE_SIZE}) from\n${url}\n` +
              'checks it against the SHA-512 published beside it, and installs its CUDA provider libraries for Sink Lens. ' +
              'CUDA 12 and cuDNN 9 must be installed on this machine. Nothing else is downloaded, and nothing is sent.',
          },
          install,
        )) === install;
  if (!consent) return undefined;

  const storageFolder = context.globalStorageUri.fsPath;
  log.info(`installing the CUDA provider from ${url}`);
  try {
    const result = await withCancellableProgress('Sink Lens: CUDA provider', (report, signal) => {
      let reported = 0;
      report(`connecting to ${new URL(url).host}…`);
      return installCudaProvider({
        source,
        version,
        storageFolder,
        ...(options.binaryFolder ? { binaryFolder: options.binaryFolder } : {}),
        signal,
        onProgress: (received, total) => {
          const percent = total ? (100 * received) / total : 0;
          report(total ? `${megabytes(received)} of ${megabytes(total)}` : `${megabytes(received)}`, total ? percent - reported : undefined);
          reported = percent;
        },
      });
    });
    log.info(`CUDA provider ${result.version} installed (sha512 ${result.sha512}): ${result.installed.join(', ')}`);
    // The next run needs a fresh worker: onnxruntime looks for provider libraries when it creates a session.
    if (!client.busy) client.stopWorker();
    void vscode.window.showInformationMessage(
      `Sink Lens: CUDA provider ${result.version} installed. The next run tries CUDA (sinkLens.device "auto" or "cuda"); the status bar shows the device that ran.`,
    );
    return { ...result, storageFolder: join(storageFolder, `onnxruntime-${result.version}`) };
  } catch (error) {
    if (error instanceof CancelledError) {
      void vscode.window.showInformationMessage('Sink Lens: CUDA provider download cancelled; nothing was installed.');
      return undefined;
    }
    showFailure(error instanceof SinkLensError || error instanceof Error ? error.message : String(error), log);
    return undefined;
  }
}

function showFailure(message: string, log: vscode.LogOutputChannel): void {
  log.error(`CUDA provider install failed: ${message}`);
  void vscode.window.showErrorMessage(`Sink Lens: could not install the CUDA provider: ${message}`, 'Open Settings', 'Show Log').then((choice) => {
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.cudaProviderSource`);
    if (choice === 'Show Log') log.show();
  });
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
