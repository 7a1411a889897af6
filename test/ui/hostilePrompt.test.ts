/**
 * Security in the real webview (issue 9): a prompt containing `<img src=x onerror=…>` and
 * `</script><script>…</script>` is analysed through the command palette in code-server; the panel
 * shows those characters as text (prompt and token strip), no img or script element was created
 * from them, and neither payload ran (window.__pwned stays undefined). Screenshot under
 * test-results/. Skips, saying why, when code-server, chromium or a model is missing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Frame, type Page } from 'playwright-core';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  createSandbox,
  installExtension,
  missingPrerequisite,
  packageVsix,
  removeSandbox,
  RESULTS,
  startCodeServer,
  writeUserSettings,
} from './codeServer';
import { runCommand } from './workbench';

const HOSTILE = 'Look <img src=x onerror="window.__pwned=1"> then </script><script>window.__pwned=2</script> end';

/** The webview's content frame (the one holding the report), found by what it contains. */
async function reportFrame(page: Page): Promise<Frame> {
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame.evaluate(() => document.querySelector('[data-testid="prompt"]') !== null).catch(() => false);
      if (found) return frame;
    }
    await page.waitForTimeout(200);
  }
}

test('a hostile prompt shows as text in the real webview and nothing in it runs', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  mkdirSync(RESULTS, { recursive: true });
  const sandbox = createSandbox('hostile');
  writeFileSync(join(sandbox.workspace, 'hostile.txt'), `${HOSTILE}\n`);
  writeUserSettings(sandbox, { 'workbench.secondarySideBar.defaultVisibility': 'hidden' });
  installExtension(sandbox, packageVsix(sandbox.root));
  const server = await startCodeServer(sandbox);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  let passed = false;
  try {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(sandbox.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
    await runCommand(page, 'Go to File...');
    await page.locator('.quick-input-widget input').fill('hostile.txt');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hostile.txt' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: 'Look' }).waitFor();
    await runCommand(page, 'Go to Line/Column...');
    await page.keyboard.type('1:3');
    await page.keyboard.press('Enter');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');

    const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 180_000 });
    assert.equal(await view.getByTestId('prompt').textContent(), HOSTILE, 'the prompt is shown as its characters');
    const strip = (await view.locator('.token').allTextContents()).join('');
    for (const piece of ['<img', 'onerror', '</script>', '<script>', '__pwned']) assert.ok(strip.includes(piece), `the token strip shows "${piece}" as text: ${strip}`);

    const frame = await reportFrame(page);
    const inside = await frame.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      images: [...document.querySelectorAll('img')].map((element) => element.outerHTML),
      scripts: [...document.querySelectorAll('script')].map((element) => element.getAttribute('src') ?? `inline: ${element.textContent}`),
      withOnerror: document.querySelectorAll('[onerror]').length,
    }));
    t.diagnostic(`inside the webview: ${JSON.stringify(inside)}`);
    assert.equal(inside.pwned, undefined, 'no payload ran in the webview');
    assert.deepEqual(inside.images, [], 'no img element was created');
    assert.equal(inside.withOnerror, 0);
    // The scripts are VS Code's injected acquireVsCodeApi and our bundle; none came from the prompt.
    assert.ok(inside.scripts.some((script) => /dist\/webview\.js$/.test(script)), 'the bundle is loaded');
    assert.deepEqual(inside.scripts.filter((script) => script.includes('__pwned')), [], 'no script element was created from the prompt');
    assert.ok(inside.scripts.length <= 2, `only VS Code's injected script and the bundle: ${inside.scripts.length}`);
    for (const other of page.frames()) {
      const pwned = await other.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned).catch(() => undefined);
      assert.equal(pwned, undefined, `no payload ran in frame ${other.url().slice(0, 80)}`);
    }
    const cspViolations = consoleLines.filter((line) => /Content Security Policy|Refused to (load|execute)/i.test(line));
    assert.deepEqual(cspViolations, [], 'nothing even tried to run (the CSP had nothing to block)');
    await page.screenshot({ path: join(RESULTS, 'ui-hostile-prompt.png') });
    passed = true;
  } catch (error) {
    await page.screenshot({ path: join(RESULTS, 'ui-hostile-failure.png') }).catch(() => undefined);
    writeFileSync(join(RESULTS, 'ui-hostile-console.txt'), consoleLines.join('\n'));
    throw error;
  } finally {
    await browser.close();
    await server.stop();
    if (passed) removeSandbox(sandbox);
    else t.diagnostic(`kept for its logs: ${sandbox.root}`);
  }
});
