/**
 * Packages the extension (`npm run package`'s script), installs the VSIX into code-server, and runs
 * the mocha suite of test/extension INSIDE its real extension host through the smoke-test driver's
 * payload URL. Skips, saying why, when code-server, chromium or a model is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingPrerequisite, REPO, RESULTS, SAMPLE_PY, writeUserSettings, type Sandbox } from './codeServer';
import { inWorkbench } from './workbench';

test('mocha suite inside the real extension host (code-server)', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const suite = join(REPO, 'out', 'test', 'extension', 'index.js');
  assert.ok(existsSync(suite), `${suite} is compiled (npm run pretest)`);
  const resultsFile = (sandbox: Sandbox) => join(sandbox.root, 'mocha-results.json');
  const prepare = (sandbox: Sandbox) => {
    writeFileSync(join(sandbox.workspace, 'prompt.py'), SAMPLE_PY);
    writeUserSettings(sandbox);
  };
  const env = (sandbox: Sandbox) => ({ SINK_LENS_TEST_RESULTS: resultsFile(sandbox) });
  await inWorkbench(t, 'extension-host', { prepare, env, openWorkspace: false }, async ({ page, sandbox, installed, server }) => {
    const log: string[] = [];
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => log.push(`${type}: ${JSON.stringify(args)}`));
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://remote${installed}`],
      ['extensionTestsPath', `vscode-remote://remote${suite}`],
      ['skipWelcome', 'true'],
    ]);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(sandbox.workspace)}&payload=${encodeURIComponent(payload)}`);
    const code = await exitCode;
    await page.screenshot({ path: join(RESULTS, 'extension-host-suite.png') }).catch(() => undefined);
    const results = existsSync(resultsFile(sandbox)) ? JSON.parse(readFileSync(resultsFile(sandbox), 'utf8')) : null;
    for (const entry of results?.results ?? []) t.diagnostic(`${entry.state}: ${entry.title}${entry.error ? `\n${entry.error}` : ''}`);
    if (results?.metrics) t.diagnostic(`measured in the extension host: ${JSON.stringify(results.metrics)}`);
    writeFileSync(join(RESULTS, 'extension-host-suite.json'), JSON.stringify({ code, results, log: log.slice(-200) }, null, 2));
    assert.ok(results, `the suite wrote no results (exit ${code}); workbench log:\n${log.slice(-40).join('\n')}\n${server.log().slice(-4000)}`);
    assert.equal(
      results.failures,
      0,
      JSON.stringify(
        results.results.filter((r: { state: string }) => r.state === 'failed'),
        null,
        2,
      ),
    );
    if (process.env.SINK_LENS_EXTENSION_SUITES) t.diagnostic(`only the suites ${process.env.SINK_LENS_EXTENSION_SUITES} ran (SINK_LENS_EXTENSION_SUITES)`);
    else assert.ok(results.results.length >= 9, 'all tests ran');
    assert.equal(code, 0);
  });
});
