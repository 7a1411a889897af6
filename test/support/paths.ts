/** Locations the tests share: the repository root, the shared models, generated fixtures. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const sharedModels = resolve(repoRoot, '..', 'shared', 'models');
export const stories260k = join(sharedModels, 'stories260k');
export const onnxExports = join(sharedModels, 'onnx-exports');
export const fixturesRoot = join(repoRoot, '.cache', 'fixtures');
export const cliPath = join(repoRoot, 'dist', 'cli.js');

/** Why a test that needs ../shared/models cannot run here, or null when it can. */
export function sharedModelsMissing(): string | null {
  return existsSync(join(stories260k, 'model.onnx')) ? null : `../shared/models is absent (looked in ${sharedModels}); these tests need the workplace's shared models`;
}
