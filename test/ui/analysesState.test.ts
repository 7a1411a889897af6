/**
 * The Sink Analyses panel at 620 px, as a user meets it (issue #14), in the real workbench on the
 * bundled demo model: "First-Token Substitution" on a task prompt shows, in each row, whether the
 * variant keeps the sink and which of the rule's conditions decided it (the same as
 * keepsSinkReason on the CLI's document); its table and the batch table fit the panel; a batch of
 * 200 prompts cancelled from its progress notification leaves the panel saying what was cancelled
 * (title and page), with nothing of the substitution under it. Screenshots, dark and light, in
 * test-results/state-analyses-*.png.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { keepsSinkReason, type SubstitutionDocument } from '../../src/protocol/analyses';
import { DEMO_MODEL, DEMO_SETTINGS, demoModelMissing, REPO, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { cspViolations, inWorkbench, openFile, runCommand, webviewWith } from './workbench';

const MODEL = DEMO_MODEL;
const SAMPLES = () =>
  readFileSync(join(MODEL, 'samples.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

/** Whether every table of the page fits the page's width (no column hidden past the right edge). */
async function tablesFit(view: FrameLocator, selector: string): Promise<{ fits: boolean; widths: string }> {
  return view.locator('body').evaluate((body, tables) => {
    const width = document.documentElement.clientWidth;
    const rows = [...body.querySelectorAll<HTMLElement>(tables)].map((table) => ({ right: table.getBoundingClientRect().right, scroll: table.scrollWidth, client: table.clientWidth }));
    return { fits: rows.length > 0 && rows.every((row) => row.right <= width + 0.5 && row.scroll <= row.client + 0.5), widths: `page ${width}: ${JSON.stringify(rows)}` };
  }, selector);
}

test('Sink Analyses at 620 px: reasons in the substitution table, tables that fit, a cancelled batch with no earlier result under it', { timeout: 600_000 }, async (t) => {
  const missing = demoModelMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const settings = DEMO_SETTINGS;
  const prepare = (sandbox: Sandbox) => {
    writeUserSettings(sandbox, settings);
    const [first, second] = SAMPLES();
    writeFileSync(join(sandbox.workspace, 'prompts.txt'), `${first}\n\n${second}\n`);
    // 200 long prompts, one per line: long enough to cancel while it runs.
    const long = SAMPLES().join(' ');
    writeFileSync(join(sandbox.workspace, 'batch.txt'), `${Array.from({ length: 200 }, () => `${long} ${long} ${long}`).join('\n')}\n`);
    const out = join(sandbox.root, 'substitution.json');
    const cli = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'substitute', '--prompt', first, '--device', 'cpu', '--out', out], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    return JSON.parse(readFileSync(out, 'utf8')) as SubstitutionDocument;
  };
  await inWorkbench(t, 'state-analyses', { prepare, toasts: true }, async ({ page, sandbox, consoleLines, prepared: substitution }) => {
    // 1290 px: with the side bar hidden, the panel beside the editor is about 620 px wide.
    await page.setViewportSize({ width: 1290, height: 1000 });
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await openFile(page, 'prompts.txt', 'mab yot', '1:5');

    await runCommand(page, 'Sink Lens: First-Token Substitution');
    let view = await webviewWith(page, 'body[data-analysis-kind="substitute"][data-analysis-state="done"]', 300_000);
    const panelWidth = await view.locator('body').evaluate(() => document.documentElement.clientWidth);
    assert.ok(panelWidth <= 640, `the panel is ${panelWidth} px wide (a narrow panel is what this test is about)`);
    const [original, ...variants] = substitution.variants;
    for (const [offset, variant] of variants.entries()) {
      const index = offset + 1;
      const rule = keepsSinkReason(variant.sinkStrength, original.sinkStrength, original.sinkRate.epsilon ?? 0.3, substitution.uniformBaseline);
      assert.equal(await view.getByTestId(`sub-keeps-${index}`).getAttribute('data-keeps'), String(rule.keeps), variant.label);
      assert.equal(await view.getByTestId(`sub-reason-${index}`).textContent(), ` — ${rule.reason}`, variant.label);
    }
    const halfStrength = variants.findIndex((variant) => variant.sinkStrength < 0.5 * original.sinkStrength);
    assert.ok(halfStrength >= 0, 'the demo prompt has a variant that loses more than half of the strength');
    assert.match((await view.getByTestId(`sub-reason-${halfStrength + 1}`).textContent())!, /sink strength fell below half of the original's \(\d\.\d{3} < 0\.5 × \d\.\d{3} = \d\.\d{3}\)/);
    const substitutionFit = await tablesFit(view, '[data-testid="sub-table"]');
    assert.ok(substitutionFit.fits, substitutionFit.widths);
    await page.screenshot({ path: join(RESULTS, 'state-analyses-substitution-dark.png') });

    // Every prompt of the small file: the batch table fits too.
    await runCommand(page, 'Sink Lens: Analyze Prompts in File / Selection');
    view = await webviewWith(page, 'body[data-analysis-kind="batch"][data-analysis-state="done"]', 300_000);
    const batchFit = await tablesFit(view, '[data-testid="batch-prompts"]');
    assert.ok(batchFit.fits, batchFit.widths);
    await page.screenshot({ path: join(RESULTS, 'state-analyses-batch-dark.png') });

    // Substitution again, then 200 prompts, cancelled while they run.
    await runCommand(page, 'Sink Lens: First-Token Substitution');
    await webviewWith(page, 'body[data-analysis-kind="substitute"][data-analysis-state="done"]', 300_000);
    await openFile(page, 'batch.txt', 'mab yot');
    await runCommand(page, 'Sink Lens: Analyze Prompts in File / Selection');
    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: /prompt \d+ of 200/ });
    await progress.waitFor({ timeout: 180_000 });
    view = await webviewWith(page, 'body[data-analysis-kind="batch"][data-analysis-state="running"]');
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    view = await webviewWith(page, 'body[data-analysis-kind="batch"][data-analysis-state="cancelled"]', 60_000);
    assert.equal(await view.getByTestId('sub-table').count(), 0, 'nothing of the substitution under the cancelled batch');
    assert.equal(await view.locator('section.card').count(), 0, 'no result at all');
    assert.equal(await view.locator('h1').textContent(), 'Sink analysis: many prompts (cancelled)');
    assert.match((await view.getByTestId('analysis-meta').textContent())!, /200 prompts · 200 prompts of batch\.txt/);
    assert.match((await view.getByTestId('analysis-status').textContent())!, /^Cancelled\./);
    await page.locator('.tabs-container .tab', { hasText: 'Sink Analyses: many prompts (cancelled)' }).waitFor();
    await page.screenshot({ path: join(RESULTS, 'state-analyses-cancelled-dark.png') });

    writeUserSettings(sandbox, { ...settings, 'workbench.colorTheme': 'Default Light Modern' });
    await view.locator('body.vscode-light').waitFor();
    await page.screenshot({ path: join(RESULTS, 'state-analyses-cancelled-light.png') });
    assert.deepEqual(cspViolations(consoleLines), []);
  });
});
