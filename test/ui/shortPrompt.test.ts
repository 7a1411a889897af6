/**
 * A short prompt on the real stories260k (issue #14, item 6), in the real workbench: "Analyze Token
 * Ids…" on [1, 403, 407, 261, 378] gives "No attention sink on the first token" beside a 95 % sink
 * rate, and right under the headline the panel says why, with which number is the uniform share
 * (0.457 on 5 tokens) and which twice it (0.913), as the CLI does. Then "Select Model…" lists the
 * model that run used (from the run store, though it was never picked there). Screenshots of the
 * verdict, dark and light, in test-results/short-prompt-*.png. Skips without ../shared/models.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SinkReport } from '../../src/protocol/report';
import { describeVerdict } from '../../src/protocol/verdict';
import { missingPrerequisite, REPO, RESULTS, STORIES_MODEL, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, inWorkbench, openFile, runCommand } from './workbench';

const IDS = [1, 403, 407, 261, 378];

test('stories260k on 5 token ids: the headline explains itself beside a high sink rate; Select Model… lists the model used', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite() ?? (existsSync(STORIES_MODEL) ? null : `no stories260k at ${STORIES_MODEL} (../shared/models)`);
  if (missing) {
    t.skip(missing);
    return;
  }
  const settings = { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'sinkLens.device': 'cpu', 'sinkLens.modelPath': STORIES_MODEL };
  await inWorkbench(t, 'short-prompt', { prepare: (sandbox) => prepareIds(sandbox, settings) }, async ({ page, sandbox, prepared: expected }) => {
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await openFile(page, 'ids.py', 'IDS', '1:10');
    await runCommand(page, 'Sink Lens: Analyze Token Ids…');
    const view = activeWebview(page);
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });
    const verdict = describeVerdict(expected);
    assert.equal(await view.getByTestId('verdict-headline').textContent(), 'No attention sink on the first token');
    assert.match((await view.getByTestId('sink-rate').textContent())!, /^Sink rate: 95\.0 % of heads/);
    const why = (await view.getByTestId('verdict-why').textContent())!;
    assert.equal(why, verdict.why, 'the panel says what the CLI says');
    assert.ok(why.includes('on 5 tokens a head that spreads its attention evenly gives the first token 0.457 (the uniform share); twice that is 2 × 0.457 = 0.913'), why);
    assert.equal(await view.getByTestId('demo-note').count(), 0, 'not the demo model: no demo note');
    await view.locator('section.verdict').screenshot({ path: join(RESULTS, 'short-prompt-verdict-dark.png') });
    writeUserSettings(sandbox, { ...settings, 'workbench.colorTheme': 'Default Light Modern' });
    await view.locator('body.vscode-light').waitFor();
    await view.locator('section.verdict').screenshot({ path: join(RESULTS, 'short-prompt-verdict-light.png') });

    // The model of that run is offered again, though it came from a setting, never from the picker.
    await runCommand(page, 'Sink Lens: Select Model…');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'stories260k' }).first();
    await row.waitFor();
    assert.match((await row.textContent())!, /used before: 1 stored run/);
    await page.screenshot({ path: join(RESULTS, 'short-prompt-select-model.png') });
    await page.keyboard.press('Escape');
  });
});

/** The workspace (a Python list of ids) and the CLI's report of the same ids, to compare with. */
function prepareIds(sandbox: Sandbox, settings: Record<string, unknown>): SinkReport {
  writeUserSettings(sandbox, settings);
  writeFileSync(join(sandbox.workspace, 'ids.py'), `IDS = [${IDS.join(', ')}]\n`);
  const out = join(sandbox.root, 'cli-report.json');
  const result = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'analyze', '--model', STORIES_MODEL, '--ids', IDS.join(','), '--device', 'cpu', '--out', out], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(readFileSync(out, 'utf8')) as SinkReport;
}
