/**
 * `npm run test:electron`: the same in-extension-host mocha suite as the code-server UI test, run
 * in a downloaded VS Code (Electron) by @vscode/test-electron. Needs the network to download VS
 * Code, so it is not part of `npm test`; machines without it use test/ui (code-server).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const repo = resolve(__dirname, '..', '..', '..');
  const workspace = mkdtempSync(join(tmpdir(), 'sink-lens-electron-'));
  writeFileSync(
    join(workspace, 'prompt.py'),
    '"""A prompt for a story model."""\n\nPROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside."\n\ndef main():\n    print(PROMPT)\n',
  );
  const model = process.env.SINK_LENS_TEST_MODEL ?? resolve(repo, '..', 'shared', 'models', 'stories260k', 'model.onnx');
  const userData = join(workspace, '.user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ 'sinkLens.modelPath': model }));
  await runTests({
    extensionDevelopmentPath: repo,
    extensionTestsPath: join(__dirname, 'index'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userData}`],
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
