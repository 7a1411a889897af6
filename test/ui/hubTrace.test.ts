/**
 * A checkpoint trace over a hub model's revisions in the real workbench (code-server + Chromium):
 * with a Hugging Face cache holding the demo model's 8 training checkpoints as revisions step0 …
 * step8000 (tools/hf_ref/make_trace_fixtures.py, given to the extension host as HF_HUB_CACHE),
 * "Sink Lens: Analyze Checkpoint Trace…" offers that model beside the folder dialog; the user picks
 * it, unticks four of its revisions in the multi-select, takes the demo's probe prompts, and the
 * trace panel shows the four others: their steps, each one's revision and commit, and the numbers
 * `sink-lens trace --checkpoints sink-lens/sinklet --revisions …` gives (step 0 without a sink,
 * step 8000 with one); "Open in Sink Report" analyses that revision. Screenshot: trace-hub.png.
 * Skips, saying why, when code-server, chromium or the fixture (PyTorch) is missing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hfFixturesRoot, TRACE_HUB_MODEL, traceHubFixture } from '../support/hfFixtures';
import { torchMissing } from '../support/torchReference';
import { assertSelectedCheckpoint, cliHubTrace, numberOf, quickPickRow } from './traceChecks';
import { missingPrerequisite, REPO, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { inWorkbench, runCommand, webviewWith } from './workbench';

const PROMPTS = join(REPO, 'models', 'sinklet', 'samples.txt');
const KEPT = ['step0', 'step1000', 'step1500', 'step8000'];
const LEFT_OUT = ['step250', 'step500', 'step2000', 'step4000'];

test('palette → Analyze Checkpoint Trace… → a hub model, four of its revisions → the trace panel', { timeout: 900_000 }, async (t) => {
  const missing = missingPrerequisite() ?? (existsSync(join(hfFixturesRoot, 'trace-hub', 'fixture.json')) ? null : torchMissing());
  if (missing) {
    t.skip(missing);
    return;
  }
  const hub = traceHubFixture();
  const prepare = (sandbox: Sandbox) => {
    writeUserSettings(sandbox, { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'sinkLens.device': 'cpu' });
    return cliHubTrace(sandbox.root, hub, TRACE_HUB_MODEL, PROMPTS, KEPT);
  };
  const env = (sandbox: Sandbox) => ({ HF_HUB_CACHE: hub, SINK_LENS_CACHE: join(sandbox.root, 'graphs') });
  await inWorkbench(t, 'trace-hub', { prepare, env }, async ({ page, prepared: expected }) => {
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runCommand(page, 'Sink Lens: Analyze Checkpoint Trace…');

    // The model in the cache is offered beside the folder dialog.
    await quickPickRow(page, 'Choose a folder of checkpoints').waitFor({ timeout: 60_000 });
    const modelRow = quickPickRow(page, TRACE_HUB_MODEL);
    assert.match((await modelRow.textContent()) ?? '', /8 step revisions in the Hugging Face cache \(step0 … step8000\)/);
    await page.locator('.quick-input-widget input').fill('sinklet');
    await page.locator('.quick-input-widget input').press('Enter');

    // Every revision is ticked; untick four, keep four.
    await quickPickRow(page, 'step8000').waitFor({ timeout: 60_000 });
    for (const name of LEFT_OUT) {
      const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) });
      assert.equal(await row.getAttribute('aria-checked'), 'true', `${name} is ticked at first`);
      await row.click();
      await page.waitForFunction((label) => {
        const rows = [...document.querySelectorAll('.quick-input-list .monaco-list-row')];
        return rows.some((candidate) => candidate.querySelector('.label-name')?.textContent === label && candidate.getAttribute('aria-checked') === 'false');
      }, name);
    }
    await page.locator('.quick-input-widget input').press('Enter');

    // No prompts file beside a hub model: the demo's probe prompts.
    await quickPickRow(page, "Use the demo's probe prompts").waitFor({ timeout: 60_000 });
    await page.locator('.quick-input-widget input').fill('demo');
    await page.locator('.quick-input-widget input').press('Enter');

    const view = await webviewWith(page, 'body[data-trace-state="done"]', 300_000);
    assert.equal(await view.getByTestId('checkpoint-count').getAttribute('data-count'), String(KEPT.length));
    assert.deepEqual(
      expected.checkpoints.map((checkpoint) => checkpoint.step),
      [0, 1000, 1500, 8000],
    );

    // The last revision is selected first: its source and numbers are the CLI's, and the sink has formed.
    const lastRate = await assertSelectedCheckpoint(view, expected.checkpoints.at(-1)!);
    assert.ok(lastRate >= 0.5, `sinkRate at step8000 ${lastRate}`);

    // Home: step0, no sink yet.
    await view.getByTestId('trace-slider').focus();
    await page.keyboard.press('Home');
    const firstRate = await assertSelectedCheckpoint(view, expected.checkpoints[0]);
    assert.ok(firstRate < 0.1, `sinkRate at step0 ${firstRate}`);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await view.locator('[data-testid="selected-step"][data-step="1500"]').waitFor();
    assert.equal((await numberOf(view, 'stat-sink-rate')).toFixed(6), expected.checkpoints[2].sinkRate.all.toFixed(6));
    await page.screenshot({ path: join(RESULTS, 'trace-hub.png') });

    // "Open in Sink Report": the single-prompt analysis of the first probe prompt on revision step1500.
    await view.getByTestId('open-in-report').click();
    const report = await webviewWith(page, 'body[data-run-state="done"]', 300_000);
    const perPrompt = expected.checkpoints[2].prompts[0].sinkRate.all;
    const sinkRate = await report.getByTestId('sink-rate').textContent();
    assert.ok(sinkRate?.includes(`${(perPrompt * 100).toFixed(1)} %`), `${sinkRate} vs ${perPrompt}`);
    t.diagnostic(`sinkRate: step0 ${firstRate}, step1500 ${expected.checkpoints[2].sinkRate.all}, step8000 ${lastRate}`);
  });
});
