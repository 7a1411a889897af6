/**
 * The setup of a suite that points the extension at other models: the extension's parts and
 * workspace folder, every error the extension shows recorded (and still shown; cleared before each
 * test), the CPU as device, and sinkLens.modelPath and device put back afterwards. Call it inside
 * suite(); its hooks run before the suite's own.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ReportPanel } from '../../src/extension/panels/report/reportPanel';
import type { SinkLens } from '../../src/extension/sinkLens';
import { watchPanel, type PanelEvent } from './panelTap';

export interface ModelSwitching {
  /** Set when the suite starts. */
  api: SinkLens;
  folder: vscode.Uri;
  errors: Error[];
  config(): vscode.WorkspaceConfiguration;
  /** Records the events the report panel sends its webview while `action` runs (the panel is opened first). */
  watchPanel<T>(action: (panel: ReportPanel) => Promise<T>): Promise<{ value: T; posted: PanelEvent[] }>;
}

/** null, with one skipped test that says why, when `missing` says the suite cannot run here. */
export function modelSwitching(missing: string | null): ModelSwitching | null {
  if (missing) {
    test(`skipped: ${missing}`, function () {
      this.skip();
    });
    return null;
  }
  const host = {
    errors: [] as Error[],
    config: () => vscode.workspace.getConfiguration('sinkLens'),
    watchPanel: (action) => watchPanel(host.api, action),
  } as ModelSwitching;
  let before: { modelPath?: string; device?: string };
  let showError: (error: unknown) => void;

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<SinkLens>('sink-lens.sink-lens');
    assert.ok(extension, 'the extension sink-lens.sink-lens is installed');
    host.api = await extension.activate();
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'a workspace folder is open');
    host.folder = workspaceFolder.uri;
    const config = host.config();
    before = { modelPath: config.inspect<string>('modelPath')?.globalValue, device: config.inspect<string>('device')?.globalValue };
    // CPU, as the CLI and the references run, so that the numbers are the same computation.
    await config.update('device', 'cpu', vscode.ConfigurationTarget.Global);
    showError = host.api.notices.show;
    host.api.notices.show = (error: unknown) => {
      host.errors.push(error as Error);
      showError.call(host.api.notices, error);
    };
  });

  suiteTeardown(async () => {
    if (!host.api) return;
    host.api.notices.show = showError;
    await host.config().update('modelPath', before.modelPath, vscode.ConfigurationTarget.Global);
    await host.config().update('device', before.device, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  setup(() => {
    host.errors.length = 0;
  });

  return host;
}
