/**
 * Workspace trust for settings that make Sink Lens run native code on a file (`sinkLens.modelPath`,
 * `sinkLens.device`): in an untrusted workspace only the user's (and the machine's) value counts,
 * never one from the workspace's or a folder's settings. VS Code already withholds those values for
 * the settings package.json lists under `restrictedConfigurations`; this is the extension's own
 * check as well, so that it does not depend on that. Pure: no `vscode` import (unit-tested).
 */

/** The parts of `WorkspaceConfiguration.inspect()` this looks at. */
export interface InspectedSetting<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

export function settingForTrust<T>(inspected: InspectedSetting<T> | undefined, trusted: boolean, fallback: T): T {
  if (!inspected) return fallback;
  if (trusted) return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue ?? inspected.defaultValue ?? fallback;
  return inspected.globalValue ?? inspected.defaultValue ?? fallback;
}
