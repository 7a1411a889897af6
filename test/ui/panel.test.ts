/**
 * A user's path through the real workbench in Chromium: open a Python file, put the cursor in the
 * prompt string, run "Analyze Prompt Sinks" from the command palette, and read the numbers out of
 * the webview (checked against the CLI's report for the same prompt). Saves screenshots in the
 * dark and light themes, of a token hover, of the explorer and of the panel restored after a
 * reload under test-results/. Skips, saying why, when code-server, chromium or a model is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SinkReport } from '../../src/protocol/report';
import { cliReport, missingPrerequisite, moveMouseInto, RESULTS, SAMPLE_PROMPT, SAMPLE_PY, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, cspViolations, inWorkbench, openFile, runCommand, saveExport } from './workbench';

test('palette → Analyze Prompt Sinks → the webview shows the report (light and dark)', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const prepare = (sandbox: Sandbox) => {
    writeFileSync(join(sandbox.workspace, 'prompt.py'), SAMPLE_PY);
    writeUserSettings(sandbox, { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden' });
    return cliReport(sandbox.root, SAMPLE_PROMPT);
  };
  await inWorkbench(t, 'ui', { prepare }, async ({ page, sandbox, consoleLines, prepared: expected }) => {
    const shot = (name: string) => page.screenshot({ path: join(RESULTS, name) });
    /** The editor with its decorations at the normal size, then the whole panel in a tall window. */
    const shotBoth = async (theme: string) => {
      await shot(`ui-editor-${theme}.png`);
      await page.setViewportSize({ width: 1600, height: 2700 });
      await activeWebview(page).locator('.heatmap-canvas').waitFor();
      await page.waitForTimeout(500); // let the charts' resize observers settle before the picture
      await shot(`ui-panel-${theme}.png`);
      await page.setViewportSize({ width: 1600, height: 1000 });
    };
    // More room for the panel: the explorer is not needed until the end.
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');

    // Open the file and put the cursor inside the prompt string (line 3, column 30).
    await openFile(page, 'prompt.py', 'Once upon a time', '3:30');

    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    const view = activeWebview(page);
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });

    // The numbers in the panel are the CLI's numbers for the same prompt.
    const promptShown = await view.getByTestId('prompt').textContent();
    assert.equal(promptShown, SAMPLE_PROMPT);
    assert.equal(await view.getByTestId('device').textContent(), expected.runtime.executionProvider.toUpperCase());
    assert.equal(await view.locator('.token').count(), expected.tokens.length);
    const { layers, heads } = expected.model;
    // A cell in the middle of the grid (whatever the model's size) and the corners.
    const mapLayer = Math.min(1, layers - 1);
    const mapHead = Math.min(3, heads - 1);
    for (const [layer, head] of [
      [0, 0],
      [mapLayer, mapHead],
      [layers - 1, heads - 1],
    ]) {
      const shown = await view.getByTestId(`sink-cell-${layer}-${head}`).textContent();
      assert.equal(shown, expected.attention.sinkScore[layer][head].toFixed(2), `sinkScore L${layer} H${head}`);
    }
    const sinkRate = await view.getByTestId('sink-rate').textContent();
    assert.ok(sinkRate?.includes(`${(expected.attention.sinkRate.all * 100).toFixed(1)} %`), sinkRate ?? '');
    const headline = await view.getByTestId('verdict-headline').textContent();
    assert.ok(headline && headline.length > 10);
    t.diagnostic(`verdict: ${headline}`);

    // Open a layer's attention map from the grid and read a value by hovering the heat map.
    await view.getByTestId(`sink-cell-${mapLayer}-${mapHead}`).click();
    await view
      .getByTestId('map-status')
      .filter({ hasText: `Layer ${mapLayer}, head ${mapHead}` })
      .waitFor();
    const canvas = view.locator('.heatmap-canvas');
    const box = await canvas.boundingBox();
    assert.ok(box);
    await moveMouseInto(page, canvas, 3, box.height - 3);
    await view
      .getByTestId('heatmap-readout')
      .filter({ hasText: /query \d+/ })
      .waitFor();
    const readout = await view.getByTestId('heatmap-readout').textContent();
    // One pixel may cover several rows of a long prompt: check the value of whichever query it is.
    const query = Number(/query (\d+)/.exec(readout ?? '')?.[1]);
    assert.ok(query >= expected.tokens.length - 3, readout ?? '');
    assert.match(readout ?? '', new RegExp(`query ${query} .* key 0 .*: ${expected.attention.firstTokenAttention[mapLayer][mapHead][query].toFixed(4)}`));
    await view.getByTestId('token-1').click();
    await view.getByTestId('token-details').filter({ hasText: 'Token 1' }).waitFor();

    // The status bar names the model and the device that ran.
    const status = page.locator('.statusbar-item', { hasText: /· (CPU|CUDA)/ });
    await status.first().waitFor();
    await shotBoth('dark');

    // Exports go through VS Code's save dialog and land as real files (saveExport says how).
    const exported = async (testId: string, pattern: RegExp): Promise<string> => {
      const path = await saveExport(page, view, testId, pattern, 'progress');
      assert.ok(existsSync(path), `${path} was written`);
      return path;
    };
    const csv = readFileSync(await exported('export-grid-csv', /sinkScores.*\.csv$/), 'utf8')
      .trim()
      .split('\n');
    assert.equal(csv[0], 'layer,head,sinkScore,aboveEpsilon,epsilon,uniformBaseline');
    assert.equal(csv.length, 1 + layers * heads);
    const png = readFileSync(await exported('export-norms-png', /norms.*\.png$/));
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')], 'a PNG file');
    const json = JSON.parse(readFileSync(await exported('export-json', /\.json$/), 'utf8')) as SinkReport;
    assert.equal(json.schema, 'sink-lens/report@1');
    assert.deepEqual(
      json.attention.sinkScore.map((row) => row.map((v) => v.toFixed(4))),
      expected.attention.sinkScore.map((row) => row.map((v) => v.toFixed(4))),
    );
    // Theme change (as a user editing settings.json would): the panel follows without a reload.
    writeUserSettings(sandbox, { 'workbench.colorTheme': 'Default Light Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden' });
    await view.locator('body.vscode-light').waitFor();
    await shotBoth('light');
    assert.deepEqual(cspViolations(consoleLines), [], 'the webview runs under its CSP without violations');

    // A token hover in the editor carries real numbers.
    const word = page.locator('.monaco-editor .view-line span', { hasText: 'little' }).first();
    await word.hover();
    const hover = page.locator('.monaco-hover-content', { hasText: 'Norm by depth' }).first();
    await hover.waitFor({ timeout: 30_000 });
    assert.match((await hover.textContent()) ?? '', /Token \d+/);
    await shot('ui-hover.png');
    await page.keyboard.press('Escape');

    // The explorer lists the run.
    await page.locator('.activitybar .action-item a[aria-label^="Sink Lens"]').first().click();
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Once upon a time' }).first().waitFor();
    await shot('ui-explorer.png');

    // Reload: the serializer brings the panel back with the same run.
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
    await activeWebview(page).getByTestId('verdict-headline').filter({ hasText: headline }).waitFor({ timeout: 120_000 });
    assert.equal(await activeWebview(page).getByTestId(`sink-cell-${mapLayer}-${mapHead}`).textContent(), expected.attention.sinkScore[mapLayer][mapHead].toFixed(2));
    // The editor's prompt is shaded again from the stored run (the extension is active: the panel
    // and the explorer restored it).
    await page.locator('.monaco-editor .view-lines', { hasText: 'Once upon a time' }).click();
    for (let attempt = 0; ; attempt++) {
      await page.mouse.move(0, 0);
      await page.locator('.monaco-editor .view-line span', { hasText: 'little' }).first().hover();
      try {
        await page.locator('.monaco-hover-content', { hasText: 'Norm by depth' }).first().waitFor({ timeout: 5_000 });
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
    await shot('ui-panel-restored.png');
  });
});
