/**
 * Driving the code-server workbench in Chromium as a keyboard user does, for every UI test: the
 * command palette, and the webview frames the panels live in.
 */
import type { FrameLocator, Page } from 'playwright-core';

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
