/**
 * Security in the real webview (issue 9): a prompt containing `<img src=x onerror=…>` and
 * `</script><script>…</script>` is analysed through the command palette in code-server; the panel
 * shows those characters as text (prompt and token strip), no img or script element was created
 * from them, and neither payload ran (window.__pwned stays undefined). Screenshot under
 * test-results/. Skips, saying why, when code-server, chromium or a model is missing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { missingPrerequisite, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, cspViolations, inWorkbench, openFile, runCommand } from './workbench';

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
  const prepare = (sandbox: Sandbox) => {
    writeFileSync(join(sandbox.workspace, 'hostile.txt'), `${HOSTILE}\n`);
    writeUserSettings(sandbox, { 'workbench.secondarySideBar.defaultVisibility': 'hidden' });
  };
  await inWorkbench(t, 'ui-hostile', { prepare }, async ({ page, consoleLines }) => {
    await openFile(page, 'hostile.txt', 'Look', '1:3');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');

    const view = activeWebview(page);
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
    assert.ok(
      inside.scripts.some((script) => /dist\/webview\.js$/.test(script)),
      'the bundle is loaded',
    );
    assert.deepEqual(
      inside.scripts.filter((script) => script.includes('__pwned')),
      [],
      'no script element was created from the prompt',
    );
    assert.ok(inside.scripts.length <= 2, `only VS Code's injected script and the bundle: ${inside.scripts.length}`);
    for (const other of page.frames()) {
      const pwned = await other.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned).catch(() => undefined);
      assert.equal(pwned, undefined, `no payload ran in frame ${other.url().slice(0, 80)}`);
    }
    assert.deepEqual(cspViolations(consoleLines), [], 'nothing even tried to run (the CSP had nothing to block)');
    await page.screenshot({ path: join(RESULTS, 'ui-hostile-prompt.png') });
  });
});
