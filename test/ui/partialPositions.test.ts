/**
 * A model whose last block is sliced to the last token (the gpt2-sliced-last fixture, as
 * onnxruntime's greedy-search init_decoder slices it) in the real panel: "Analyze Token Ids…" through
 * the command palette finishes, the panel shows the report's partial-positions warning, the norms
 * chart and the MLP chart draw (a null norm is a gap, not a crash), and the ratios of the depths
 * without position 0 read "–". Screenshot under test-results/. Skips, saying why, when
 * code-server, chromium or PyTorch (which exports the fixture) is missing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../support/fixtures';
import { torchMissing } from '../support/torchReference';
import { WILD_SPECS } from '../support/wildExports';
import { missingPrerequisite, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, cspViolations, inWorkbench, openFile, runCommand } from './workbench';

const SPEC = WILD_SPECS.find((spec) => spec.name === 'gpt2-sliced-last')!;

test('a sliced last block: the panel warns, and draws its charts around the absent positions', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite() ?? torchMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const prepare = (sandbox: Sandbox) => {
    writeFileSync(join(sandbox.workspace, 'sliced_ids.py'), `IDS = [${SPEC.ids.join(', ')}]\n`);
    writeUserSettings(sandbox, { 'sinkLens.modelPath': fixture(SPEC.name), 'sinkLens.device': 'cpu', 'workbench.secondarySideBar.defaultVisibility': 'hidden' });
  };
  await inWorkbench(t, 'ui-partial-positions', { prepare }, async ({ page, consoleLines }) => {
    await openFile(page, 'sliced_ids.py', 'IDS', '1:9');
    await runCommand(page, 'Sink Lens: Analyze Token Ids…');

    const view = activeWebview(page);
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 180_000 });
    const warning = view.locator('.warning', { hasText: 'only at the last position' });
    await warning.waitFor({ state: 'visible' });
    assert.match((await warning.textContent()) ?? '', /the graph computes depths 2\.5 and 3 only at the last position/);
    const ratios = (await view.getByTestId('p0-ratios').textContent()) ?? '';
    assert.match(ratios, /2\.5: – · 3: –$/, `no P0 ratio where position 0 is absent: ${ratios}`);
    assert.match(ratios, /^P0 \/ median of others: 0: \d/, `a ratio where it is present: ${ratios}`);
    for (const [chart, selector] of [
      ['norms', 'section.norms canvas'],
      ['MLP', '[data-testid="mlp-chart"] canvas'],
    ]) {
      const canvas = view.locator(selector).first();
      await canvas.waitFor({ state: 'visible' });
      const box = await canvas.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 50, `the ${chart} chart is drawn: ${JSON.stringify(box)}`);
    }
    assert.deepEqual(
      consoleLines.filter((line) => /^error: .*(TypeError|RangeError|Uncaught)/.test(line)),
      [],
      'no script error in the workbench or the webview',
    );
    assert.deepEqual(cspViolations(consoleLines), []);
    await page.screenshot({ path: join(RESULTS, 'ui-partial-positions.png') });
  });
});
