/**
 * The Pythia-shaped training run in the real workbench (code-server + Chromium): with the hub cache
 * of tools/pythia_sinklet (a GPT-NeoX trained here, revisions step0 … step400, given to the extension
 * host as HF_HUB_CACHE), "Sink Lens: Analyze Checkpoint Trace…" offers sink-lens/pythia-sinklet; the
 * user takes every revision and the demo's probe prompts, and the trace panel shows the four
 * checkpoints with the numbers `sink-lens trace --checkpoints sink-lens/pythia-sinklet` gives (no
 * sink at step 0, one at step 400), and says its depths are block outputs only (parallel attention
 * + MLP: no l + 0.5). Screenshot: trace-pythia.png. Skips, saying why, when code-server, chromium or
 * the cache (PyTorch, to train it) is missing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { PYTHIA_HUB_ID, pythiaHubCache, pythiaHubMissing } from '../support/pythiaCache';
import { missingPrerequisite, REPO, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { assertSelectedCheckpoint, cliHubTrace, quickPickRow } from './traceChecks';
import { inWorkbench, runCommand, webviewWith } from './workbench';

const PROMPTS = join(REPO, 'models', 'sinklet', 'samples.txt');

test('palette → Analyze Checkpoint Trace… → the Pythia-shaped run, every revision → the trace panel', { timeout: 900_000 }, async (t) => {
  const missing = missingPrerequisite() ?? pythiaHubMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const cache = pythiaHubCache();
  const prepare = (sandbox: Sandbox) => {
    writeUserSettings(sandbox, { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'sinkLens.device': 'cpu' });
    return cliHubTrace(sandbox.root, cache.hub, PYTHIA_HUB_ID, PROMPTS);
  };
  const env = (sandbox: Sandbox) => ({ HF_HUB_CACHE: cache.hub, SINK_LENS_CACHE: join(sandbox.root, 'graphs') });
  await inWorkbench(t, 'trace-pythia', { prepare, env }, async ({ page, prepared: expected }) => {
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runCommand(page, 'Sink Lens: Analyze Checkpoint Trace…');

    const modelRow = quickPickRow(page, PYTHIA_HUB_ID);
    await modelRow.waitFor({ timeout: 60_000 });
    assert.match((await modelRow.textContent()) ?? '', /4 step revisions in the Hugging Face cache \(step0 … step400\)/);
    await page.locator('.quick-input-widget input').fill('pythia');
    await page.locator('.quick-input-widget input').press('Enter');
    await quickPickRow(page, 'step400').waitFor({ timeout: 60_000 });
    await page.locator('.quick-input-widget input').press('Enter');
    await quickPickRow(page, "Use the demo's probe prompts").waitFor({ timeout: 60_000 });
    await page.locator('.quick-input-widget input').fill('demo');
    await page.locator('.quick-input-widget input').press('Enter');

    const view = await webviewWith(page, 'body[data-trace-state="done"]', 300_000);
    assert.deepEqual(
      expected.checkpoints.map((checkpoint) => checkpoint.step),
      [0, 100, 200, 400],
    );
    assert.equal(await view.getByTestId('checkpoint-count').getAttribute('data-count'), '4');
    assert.match((await view.getByTestId('trace-heat-depths').textContent()) ?? '', /block outputs only: attention and MLP run in parallel, so there is no l \+ 0\.5/);

    const lastRate = await assertSelectedCheckpoint(view, expected.checkpoints.at(-1)!);
    assert.ok(lastRate >= 0.4, `sinkRate at step400 ${lastRate}`);
    await view.getByTestId('trace-slider').focus();
    await page.keyboard.press('Home');
    assert.equal(await assertSelectedCheckpoint(view, expected.checkpoints[0]), 0, 'no sink before training');
    await page.screenshot({ path: join(RESULTS, 'trace-pythia.png') });
    t.diagnostic(`sinkRate: ${expected.checkpoints.map((checkpoint) => `step${checkpoint.step} ${checkpoint.sinkRate.all}`).join(', ')}`);
  });
});
