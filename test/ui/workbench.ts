/**
 * Driving the code-server workbench in Chromium as a keyboard user does, for every UI test: the
 * session around a test, the command palette, and the webview frames the panels live in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type FrameLocator, type Locator, type Page } from 'playwright-core';
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

/**
 * Opens a workspace file with Go to File, waits for `shows` in the editor and, when given, puts the
 * cursor at `position` ("line:column") with Go to Line/Column.
 */
export async function openFile(page: Page, name: string, shows: string, position?: string): Promise<void> {
  await runCommand(page, 'Go to File...').catch(async () => page.keyboard.press('Control+P'));
  await page.locator('.quick-input-widget input').fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines', { hasText: shows }).waitFor();
  if (!position) return;
  await runCommand(page, 'Go to Line/Column...');
  await page.keyboard.type(position);
  await page.keyboard.press('Enter');
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
      if (
        (await view
          .locator(selector)
          .count()
          .catch(() => 0)) > 0
      )
        return view;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector}`);
    await page.waitForTimeout(500); // polling the frames: there is no event for "a webview shows X"
  }
}

/**
 * Runs a tree row's context-menu item (`label`, as the menu shows it). Enter goes to the located
 * menu item once it is hovered (focused): a menu opened by a right-click ignores a click that comes
 * at once, and a page-level Enter would go to whatever has the focus (a tree row runs its own
 * command on Enter). When the menu closes before that (focus taken by a webview loading), it is
 * opened again.
 */
export async function fromContextMenu(page: Page, row: Locator, label: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await row.click({ button: 'right' });
    const item = page.getByRole('menuitem', { name: label }).first();
    try {
      await item.waitFor({ state: 'visible', timeout: 15_000 });
      await item.hover();
      await page.locator('.monaco-menu .action-item.focused', { hasText: label }).waitFor({ timeout: 5_000 });
      await item.press('Enter', { timeout: 5_000 });
      await item.waitFor({ state: 'hidden', timeout: 15_000 });
      return;
    } catch (error) {
      await page.keyboard.press('Escape');
      if (attempt >= 2) throw error;
    }
  }
}

/**
 * Clicks a webview's export button and accepts the save dialog (in code-server, a quick input
 * holding the proposed path) once it proposes a file matching `pattern`. Enter is pressed on that
 * input itself: a page-level Enter goes to the webview's focused button and exports again. Returns
 * the path the webview then shows in `statusTestId` ("Saved <path>").
 */
export async function saveExport(page: Page, view: FrameLocator, testId: string, pattern: RegExp, statusTestId: string): Promise<string> {
  await view.getByTestId(testId).click();
  const dialogInput = page.locator('.quick-input-widget input');
  await page.waitForFunction((source) => {
    const input = document.querySelector<HTMLInputElement>('.quick-input-widget input');
    return !!input && input.offsetParent !== null && new RegExp(source).test(input.value);
  }, pattern.source);
  await dialogInput.press('Enter');
  await dialogInput.waitFor({ state: 'hidden' });
  const saved = await view.getByTestId(statusTestId).filter({ hasText: pattern }).textContent();
  return saved!.replace(/^Saved /, '');
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
  /** True: notifications show as toasts, as they do for a user (no smoke-test driver, which hides them). */
  toasts?: boolean;
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
  const server = await startCodeServer(sandbox, options.env?.(sandbox), !options.toasts);
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
