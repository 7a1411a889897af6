/**
 * Driving the code-server workbench in Chromium as a keyboard user does, for every UI test: the
 * session around a test, the command palette, and the webview frames the panels live in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type FrameLocator, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, createSandbox, installExtension, packageVsix, removeSandbox, RESULTS, startCodeServer, type RunningServer, type Sandbox } from './codeServer';

/** Runs a command by its palette title. Contributed commands reach the palette a few seconds after the workbench shows: retry. */
export async function runCommand(page: Page, title: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      await input.press('Enter');
      return;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (attempt >= 12) throw error;
    }
  }
}

/** The (only or active) webview's page. */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** The webview whose page has `selector`, when several panels are open. */
export async function webviewWith(page: Page, selector: string, timeout = 120_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const frames = page.locator('iframe.webview.ready');
    const count = await frames.count();
    for (let i = 0; i < count; i++) {
      const view = frames.nth(i).contentFrame().frameLocator('iframe#active-frame');
      if ((await view.locator(selector).count().catch(() => 0)) > 0) return view;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector}`);
    await page.waitForTimeout(500); // polling the frames: there is no event for "a webview shows X"
  }
}

export interface WorkbenchSession<Prepared> {
  page: Page;
  sandbox: Sandbox;
  /** Where code-server installed the packaged extension. */
  installed: string;
  server: RunningServer;
  /** What the page's console printed, for CSP checks and the failure log. */
  consoleLines: string[];
  /** What `prepare` returned (e.g. the CLI's numbers to compare with). */
  prepared: Prepared;
}

export interface WorkbenchOptions<Prepared> {
  /** Writes the workspace's files and settings and computes expectations, before code-server starts. */
  prepare(sandbox: Sandbox): Prepared;
  /** Extra environment for code-server (and so for the extension host). */
  env?: (sandbox: Sandbox) => NodeJS.ProcessEnv;
  /** False: the test navigates itself (e.g. with a test-suite payload in the URL). */
  openWorkspace?: boolean;
}

/**
 * One UI test's whole session: a sandbox with the packaged extension installed, code-server, and
 * Chromium on the workspace with the workbench showing. On failure it leaves `<name>-failure.png`
 * and the console in test-results/ and keeps the sandbox for its logs; on success it removes it.
 */
export async function inWorkbench<Prepared>(t: TestContext, name: string, options: WorkbenchOptions<Prepared>, body: (session: WorkbenchSession<Prepared>) => Promise<void>): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const sandbox = createSandbox(name);
  const prepared = options.prepare(sandbox);
  const installed = installExtension(sandbox, packageVsix(sandbox.root));
  const server = await startCodeServer(sandbox, options.env?.(sandbox));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  let passed = false;
  try {
    if (options.openWorkspace !== false) {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(sandbox.workspace)}`);
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
    }
    await body({ page, sandbox, installed, server, consoleLines, prepared });
    passed = true;
  } catch (error) {
    await page.screenshot({ path: join(RESULTS, `${name}-failure.png`) }).catch(() => undefined);
    writeFileSync(join(RESULTS, `${name}-failure-console.txt`), consoleLines.join('\n'));
    throw error;
  } finally {
    await browser.close();
    await server.stop();
    if (passed) removeSandbox(sandbox);
    else t.diagnostic(`kept for its logs: ${sandbox.root}`);
  }
}

/** Console lines that say the webview's CSP blocked something. */
export const cspViolations = (consoleLines: string[]) => consoleLines.filter((line) => /Content Security Policy|Refused to (load|execute|apply)/i.test(line));
