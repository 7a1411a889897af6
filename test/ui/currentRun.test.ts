/**
 * Everything the Sink Report shows belongs to the run on screen (issue #14), driven as a user in
 * the real workbench (code-server + Chromium) on the bundled demo model, with a .txt of two
 * paragraphs: one of the model's task language (a sink), one of ordinary English (none).
 *
 * Analyse the first paragraph, click a token, open a head's map from the grid and read a value
 * off it (the map has its axis labels and colour scale), select heads; then, with the Sink Report
 * focused, put the editor's cursor in the second paragraph and run the command again: the new run
 * has no token card, no map (the card says what it will show), no read-out, no selected heads, and
 * says why the demo model shows no sink on English, with "Open demo prompts". Re-running from the
 * header drops a map opened since. Hovering the paragraph's first character shows one card, for
 * that character's token, and BOS is not called "where the sink forms". Screenshots, dark and
 * light, in test-results/current-*.png.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { DEMO_MODEL, DEMO_SETTINGS, demoModelMissing, moveMouseInto, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, cspViolations, inWorkbench, openFile, runCommand } from './workbench';

const MODEL = DEMO_MODEL;
const TASK_PROMPT = () => readFileSync(join(MODEL, 'samples.txt'), 'utf8').split('\n')[0];
const ENGLISH = 'The quick brown fox jumps over the lazy dog near the river bank.';

/** The run on screen: its id, once the panel has it done. */
async function doneRun(view: FrameLocator, prompt: string): Promise<string> {
  await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });
  await view
    .getByTestId('prompt')
    .filter({ hasText: prompt.slice(0, 30) })
    .waitFor();
  return (await view.locator('.run-page').getAttribute('data-run-id'))!;
}

/** Reads a value off the heat map by hovering its bottom-left cell (last query, key 0). */
async function readMap(page: Page, view: FrameLocator): Promise<string> {
  const canvas = view.locator('.heatmap-canvas');
  const box = await canvas.boundingBox();
  assert.ok(box, 'the map is drawn');
  await moveMouseInto(page, canvas, 3, box.height - 3);
  await view
    .getByTestId('heatmap-readout')
    .filter({ hasText: /query \d+/ })
    .waitFor();
  return (await view.getByTestId('heatmap-readout').textContent())!;
}

test('each state of the Sink Report belongs to the run on screen; the demo model explains a run without a sink', { timeout: 600_000 }, async (t) => {
  const missing = demoModelMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const settings = DEMO_SETTINGS;
  const prepare = (sandbox: Sandbox) => {
    writeUserSettings(sandbox, settings);
    writeFileSync(join(sandbox.workspace, 'prompts.txt'), `${TASK_PROMPT()}\n\n${ENGLISH}\n`);
  };
  await inWorkbench(t, 'current-run', { prepare }, async ({ page, sandbox, consoleLines }) => {
    const tall = async (name: string) => {
      await page.setViewportSize({ width: 1600, height: 2600 });
      await page.waitForTimeout(600); // the charts' resize observers settle
      await page.screenshot({ path: join(RESULTS, name) });
      await page.setViewportSize({ width: 1600, height: 1000 });
    };
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await openFile(page, 'prompts.txt', 'mab yot', '1:5');

    // Run A: the task language. A token card, a head's map with a value read off it, two heads selected.
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    const view = activeWebview(page);
    const runA = await doneRun(view, TASK_PROMPT());
    assert.equal(await view.getByTestId('demo-note').count(), 0, 'the task language has a sink: nothing to explain');
    await view.getByTestId('token-5').click();
    await view.getByTestId('token-details').filter({ hasText: 'Token 5' }).waitFor();
    await view.getByTestId('token-0').click();
    assert.match((await view.getByTestId('p0-role').textContent())!, /^P0, where the sink forms/);
    assert.equal(await view.getByTestId('map-placeholder').isVisible(), true, 'before a map is asked for, the card says what it will show');
    await view.getByTestId('sink-cell-1-0').click();
    await view.getByTestId('map-status').filter({ hasText: 'Layer 1, head 0' }).waitFor();
    assert.match(await readMap(page, view), /^Layer 1, head 0: query \d+ .* → key 0 /);
    assert.equal(await view.getByTestId('heatmap-axes').textContent(), 'key →query ↓');
    assert.match((await view.getByTestId('heatmap-scale').textContent())!, /attention probability.*0.*1\.00/);
    await view.getByTestId('sink-cell-2-1').click({ modifiers: ['ControlOrMeta'] });
    await view.locator('[data-testid="selected-heads"][data-label="L1H0+L2H1"]').waitFor();
    await view.locator('section.map').screenshot({ path: join(RESULTS, 'current-map-dark.png') });
    await view.locator('section.mlp').screenshot({ path: join(RESULTS, 'current-mlp-dark.png') });

    // Run B, from the focused panel: the cursor goes to the English paragraph, the Sink Report takes the focus.
    await page.locator('.monaco-editor .view-line', { hasText: 'The quick brown' }).click();
    await page.locator('.monaco-editor .cursors-layer .cursor').first().waitFor();
    assert.match(
      (await page
        .locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ })
        .first()
        .textContent())!,
      /^Ln 3,/,
      'the cursor is in the English paragraph',
    );
    await view.getByTestId('verdict-headline').click();
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    const runB = await doneRun(view, ENGLISH);
    assert.notEqual(runB, runA, 'the command ran on the editor the user was in, from the focused panel');
    assert.equal(await view.getByTestId('token-details').textContent(), '', "run A's token card is gone");
    assert.equal(await view.locator('.heatmap').isVisible(), false, "run A's map is gone");
    assert.equal(await view.getByTestId('map-placeholder').isVisible(), true);
    assert.doesNotMatch((await view.getByTestId('heatmap-readout').textContent())!, /query/, "run A's read-out is gone");
    assert.equal(await view.getByTestId('selected-heads').textContent(), 'No heads selected.');
    assert.equal(await view.locator('button[data-layer][aria-pressed="true"]').count(), 0);
    assert.equal(await view.locator('.token.focused').count(), 0, 'no focused token');
    // The demo model on English: no sink, and the panel says why, with its sample prompts.
    assert.match((await view.getByTestId('verdict-headline').textContent())!, /no attention sink/i);
    assert.match((await view.getByTestId('demo-note').textContent())!, /grows its attention sink on that language; like real small models, it shows none on ordinary text/);
    await view.getByTestId('token-0').click();
    assert.doesNotMatch((await view.getByTestId('p0-role').textContent())!, /sink forms/);
    await tall('current-panel-dark.png');

    // A map opened on run B, read, then Re-run: the new run shows no map and no read-out of the old one.
    await view.getByTestId('sink-cell-0-0').click();
    await view.getByTestId('map-status').filter({ hasText: 'Layer 0, head 0' }).waitFor();
    await readMap(page, view);
    await view.getByTestId('rerun').click();
    await view.locator(`.run-page:not([data-run-id="${runB}"])`).waitFor({ timeout: 120_000 });
    await doneRun(view, ENGLISH);
    assert.equal(await view.locator('.heatmap').isVisible(), false);
    assert.doesNotMatch((await view.getByTestId('heatmap-readout').textContent())!, /query/);

    // One hover card on the paragraph's first character: its own token, BOS only mentioned, no sink claimed.
    const firstLetter = page.locator('.monaco-editor .view-line', { hasText: 'The quick brown' }).locator('span span', { hasText: /^T/ }).first();
    for (let attempt = 0; ; attempt++) {
      await page.mouse.move(0, 0);
      await firstLetter.hover({ position: { x: 2, y: 6 } });
      try {
        await page.locator('.monaco-hover-content', { hasText: 'Norm by depth' }).first().waitFor({ timeout: 5_000 });
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
    const hover = page.locator('.monaco-hover-content', { hasText: 'Norm by depth' });
    assert.equal(await hover.count(), 1, 'one card');
    const card = (await hover.textContent())!;
    assert.match(card, /^Token 1 · id/);
    assert.equal(card.match(/Norm by depth/g)?.length, 1, `one token's numbers: ${card}`);
    assert.match(card, /Before it, with no source text: token 0 \(P0: .*no attention sink in this run/);
    assert.doesNotMatch(card, /where the sink forms/);
    await page.screenshot({ path: join(RESULTS, 'current-hover-dark.png') });
    await page.keyboard.press('Escape');

    // Light theme, then the demo prompts open from the panel.
    writeUserSettings(sandbox, { ...settings, 'workbench.colorTheme': 'Default Light Modern' });
    await view.locator('body.vscode-light').waitFor();
    await tall('current-panel-light.png');
    await view.getByTestId('open-demo-prompts').click();
    await page.locator('.tabs-container .tab', { hasText: 'samples.txt' }).waitFor();
    await page
      .locator('.monaco-editor .view-lines', { hasText: TASK_PROMPT().slice(0, 20) })
      .first()
      .waitFor();
    assert.deepEqual(cspViolations(consoleLines), []);
  });
});
