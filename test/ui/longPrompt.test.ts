/**
 * A 2048-token run in the real panel (code-server + Chromium; issue #13 item 3): "Analyze Token
 * Ids…" on 2048 ids with the 4-layer benchmark fixture (llama-bench-4). The token strip is
 * virtualised: only the rows in view are in the DOM, yet every token is reachable (End, the
 * arrows; one Tab stop) and each shows its own id. The webview's own timings (kit/timings.ts: first
 * paint, a token's hover read-out, the heat map drawn and asked for, a hover on it) are reported
 * and written to test-results/webview-timings-2048.json; nothing asserts on them. Skips, saying
 * why, when code-server, Chromium or PyTorch (which exports the fixture) is missing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { fixture } from '../support/fixtures';
import { torchMissing } from '../support/torchReference';
import { missingPrerequisite, moveMouseInto, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, cspViolations, inWorkbench, openFile, runCommand } from './workbench';

const TOKENS = 2048;
/** BOS, then ids spread over the fixture's vocabulary (1024), fixed so that runs compare. */
const IDS = [1, ...Array.from({ length: TOKENS - 1 }, (_, i) => 2 + ((i * 379) % 1021))];

test('2048 tokens in the real panel: a virtualised strip that reaches every token; the webview timings reported', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite() ?? torchMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const model = fixture('llama-bench-4');
  const prepare = (sandbox: Sandbox) => {
    writeFileSync(join(sandbox.workspace, 'long_ids.py'), `IDS = [${IDS.join(', ')}]\n`);
    writeUserSettings(sandbox, { 'sinkLens.modelPath': model, 'sinkLens.device': 'cpu', 'sinkLens.maxTokens': TOKENS, 'workbench.secondarySideBar.defaultVisibility': 'hidden' });
  };
  await inWorkbench(t, 'ui-long-prompt', { prepare }, async ({ page, consoleLines }) => {
    await openFile(page, 'long_ids.py', 'IDS', '1:9');
    await runCommand(page, 'Sink Lens: Analyze Token Ids…');
    const view = activeWebview(page);
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 300_000 });
    const timings: Record<string, number | number[]> = { tokens: TOKENS };
    timings.firstPaintMs = await timing(view, 'first-paint');
    timings.firstPaintScriptMs = await timing(view, 'first-paint-script');

    // Virtualised: a few rows of buttons, not 2048; the first tokens are there, the last are not yet.
    await view.getByTestId('token-0').waitFor();
    const drawn = await view.locator('.token-strip .token').count();
    assert.ok(drawn > 10 && drawn < 600, `${drawn} token buttons in the DOM for ${TOKENS} tokens`);
    assert.equal(await view.getByTestId(`token-${TOKENS - 1}`).count(), 0, 'the last token is not drawn before it is scrolled to');

    // Keyboard: one Tab stop; End reaches the last token (drawn and focused), the arrows move from there.
    await view.getByTestId('token-0').click();
    assert.equal(await view.locator('.token-strip [tabindex="0"]').count(), 1, 'one Tab stop in the strip');
    await page.keyboard.press('End');
    await view.locator(`[data-testid="token-${TOKENS - 1}"]:focus`).waitFor();
    await page.keyboard.press('ArrowLeft');
    await view.locator(`[data-testid="token-${TOKENS - 2}"]:focus`).waitFor();
    assert.equal(await view.locator('.token-strip [tabindex="0"]').count(), 1, 'still one Tab stop after scrolling');
    assert.equal(await view.getByTestId('token-0').count(), 0, 'the first rows left the DOM when the strip scrolled to the end');
    await page.keyboard.press('Enter');
    await view.locator('.token-strip').screenshot({ path: join(RESULTS, 'ui-long-prompt-strip.png') });
    assert.match((await view.getByTestId('token-details').textContent()) ?? '', new RegExp(`^Token ${TOKENS - 2}: .* id ${IDS[TOKENS - 2]}\\b`));

    // Hover read-out of tokens near the end: each says its own index and id.
    const hovers: number[] = [];
    for (const index of [TOKENS - 30, TOKENS - 20, TOKENS - 12, TOKENS - 5, TOKENS - 1, TOKENS - 25, TOKENS - 15, TOKENS - 8, TOKENS - 3, TOKENS - 9]) {
      await clearTiming(view, 'timingTokenHover');
      await view.getByTestId(`token-${index}`).hover();
      await view
        .getByTestId('token-hover')
        .filter({ hasText: `#${index} · id ${IDS[index]} ` })
        .waitFor();
      hovers.push(await timing(view, 'token-hover'));
    }
    timings.tokenHoverMs = hovers;

    // The heat map of layer 0, head 0 at 2048 x 2048: drawn, then hovered.
    await view.getByTestId('sink-cell-0-0').click();
    await view.getByTestId('map-status').filter({ hasText: 'Layer 0, head 0' }).waitFor({ timeout: 120_000 });
    timings.heatmapDrawMs = await timing(view, 'heatmap-draw');
    timings.heatmapScriptMs = await timing(view, 'heatmap-script');
    timings.heatmapAskedMs = await timing(view, 'heatmap-asked');
    const canvas = view.locator('.heatmap-canvas');
    const box = await canvas.boundingBox();
    assert.ok(box && box.width > 100, `the heat map is drawn: ${JSON.stringify(box)}`);
    const mapHovers: number[] = [];
    for (let i = 0; i < 8; i++) {
      await clearTiming(view, 'timingHeatmapHover');
      await moveMouseInto(page, canvas, 5 + ((i * 61) % (box.width - 10)), box.height - 5 - ((i * 37) % (box.height / 2)));
      mapHovers.push(await timing(view, 'heatmap-hover'));
    }
    timings.heatmapHoverMs = mapHovers;

    t.diagnostic(`webview timings in the real panel, T = ${TOKENS} (benchmarks, not asserted): ${JSON.stringify(timings, (_, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
    writeFileSync(join(RESULTS, 'webview-timings-2048.json'), JSON.stringify(timings, null, 2));
    assert.deepEqual(
      consoleLines.filter((line) => /^error: .*(TypeError|RangeError|Uncaught)/.test(line)),
      [],
      'no script error in the workbench or the webview',
    );
    assert.deepEqual(cspViolations(consoleLines), []);
    await page.screenshot({ path: join(RESULTS, 'ui-long-prompt.png') });
  });
});

/** A timing the webview recorded on its body (data-timing-<name>, ms), once it is there. */
async function timing(view: FrameLocator, name: string): Promise<number> {
  const body = view.locator(`body[data-timing-${name}]`);
  await body.waitFor({ state: 'attached', timeout: 30_000 });
  return Number(await body.getAttribute(`data-timing-${name}`));
}

async function clearTiming(view: FrameLocator, key: string): Promise<void> {
  await view.locator('body').evaluate((body, name) => delete (body as HTMLElement).dataset[name], key);
}
