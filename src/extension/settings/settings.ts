/** Typed access to the `sinkLens.*` settings. */
import * as vscode from 'vscode';
import { DEFAULT_EPSILON } from '../../protocol/measures';
import type { Device } from '../../protocol/report';
import { settingForTrust } from './trustedSetting';

export const SECTION = 'sinkLens';

export interface SinkLensSettings {
  /** The path as configured; '' = the bundled model. */
  modelPath: string;
  device: Device;
  epsilon: number;
  maxTokens: number;
  addBos: boolean;
  decorationsEnabled: boolean;
  /** -1 = mean over layers. */
  decorationLayer: number;
}

export function readSettings(): SinkLensSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  // In an untrusted workspace a workspace-level modelPath is ignored by VS Code already
  // (restrictedConfigurations); settingForTrust checks it again, from inspect(), so that a model
  // named by an untrusted workspace is never loaded whatever VS Code does.
  const trusted = vscode.workspace.isTrusted;
  return {
    modelPath: (trusted ? config.get<string>('modelPath', '') : settingForTrust(config.inspect<string>('modelPath'), false, '')).trim(),
    device: trusted ? config.get<Device>('device', 'auto') : settingForTrust(config.inspect<Device>('device'), false, 'auto'),
    epsilon: config.get<number>('epsilon', DEFAULT_EPSILON),
    maxTokens: config.get<number>('maxTokens', 2048),
    addBos: config.get<boolean>('addBos', true),
    decorationsEnabled: config.get<boolean>('decorations.enabled', true),
    decorationLayer: config.get<number>('decorations.layer', -1),
  };
}
