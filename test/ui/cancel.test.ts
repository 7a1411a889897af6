/**
 * Cancelling from the progress notification, as a user does: "Sink Lens: Analyze Prompt Sinks" on
 * a paragraph of about 4,000 tokens, on the CPU, with a 4-layer, 8-head LLaMA-style model (the
 * llama-bench-4 fixture with the stories260k tokenizer), whose one forward pass takes seconds
 * there. First, after a short run on the demo model, the long run is cancelled while the
 * panel says "loading the model…": the panel then shows that cancellation with what was asked, and
 * nothing of the short run (issue #14, item 4). Then, while the long run's forward pass runs, the
 * notification's own Cancel button: the panel says the run was cancelled (body data-run-state="cancelled"), the
 * progress notification goes and the workbench says the worker was stopped; the next run, on the
 * usual short prompt, completes. Saves test-results/ui-cancelled*.png. Skips, saying why, when
 * code-server, chromium, the shared stories260k tokenizer or the fixture (made by tools/torch_ref
 * with PyTorch) is missing.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../support/fixtures';
import { stories260k } from '../support/paths';
import { missingPrerequisite, RESULTS, SAMPLE_PROMPT, SAMPLE_PY, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, inWorkbench, openFile, runCommand } from './workbench';

/** About 4,000 tokens of the stories tokenizer (and under the model's 8,192-token context). */
const LONG_PROMPT = Array.from({ length: 190 }, (_, i) => `Once upon a time there was a little girl named Lily number ${i % 10}.`).join(' ');

/** The fixture's folder (its model is paired with the stories tokenizer below), or why there is none. */
function longRunModel(): string | { missing: string } {
  if (!existsSync(join(stories260k, 'tokenizer.json'))) return { missing: `no stories260k tokenizer in ${stories260k}` };
  try {
    return fixture('llama-bench-4');
  } catch (error) {
    return { missing: `the llama-bench-4 fixture cannot be made here: ${error instanceof Error ? error.message : String(error)}` };
  }
}

test("the progress notification's Cancel button cancels a run; the next run completes", { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const source = longRunModel();
  if (typeof source !== 'string') {
    t.skip(source.missing);
    return;
  }
  const prepare = (sandbox: Sandbox) => {
    const model = join(sandbox.root, 'long-model');
    mkdirSync(model);
    symlinkSync(join(source, 'model.onnx'), join(model, 'model.onnx'));
    // The fixture's config with the tokenizer's BOS (<s> = 1, not <unk> = 0).
    const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(model, 'config.json'), JSON.stringify({ ...config, bos_token_id: 1 }));
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(stories260k, file), join(model, file));
    writeFileSync(join(sandbox.workspace, 'long.txt'), `${LONG_PROMPT}\n`);
    writeFileSync(join(sandbox.workspace, 'prompt.py'), SAMPLE_PY);
    // maxTokens above the prompt: no long-prompt question between the command and the run. The
    // demo model first; the long model once the settings name it (below).
    writeUserSettings(sandbox, { ...settings, 'sinkLens.modelPath': '' });
    return model;
  };
  const settings = { 'sinkLens.device': 'cpu', 'sinkLens.maxTokens': 8192, 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'workbench.colorTheme': 'Default Dark Modern' };
  await inWorkbench(t, 'ui-cancel', { prepare, toasts: true }, async ({ page, sandbox, prepared: model }) => {
    // A short run on the demo model: the report the cancelled run must not leave on screen.
    await openFile(page, 'prompt.py', 'Once upon a time', '3:30');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    const view = activeWebview(page);
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });

    // The long model, not loaded yet: cancel while the panel says it is loading it.
    writeUserSettings(sandbox, { ...settings, 'sinkLens.modelPath': model });
    await page.locator('.statusbar-item', { hasText: 'long-model' }).first().waitFor();
    await openFile(page, 'long.txt', 'Once upon a time', '1:5');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    await view.getByTestId('progress').filter({ hasText: 'loading the model…' }).waitFor({ timeout: 60_000 });
    assert.equal(await view.locator('body').getAttribute('data-run-state'), 'starting');
    const starting = page.locator('.notifications-toasts .notification-toast', { hasText: 'Sink Lens: analysing' });
    await starting.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await view.locator('body[data-run-state="cancelled"]').waitFor({ state: 'attached', timeout: 60_000 });
    await view.getByTestId('error').filter({ hasText: 'The analysis was cancelled.' }).waitFor();
    assert.match((await view.getByTestId('asked').textContent())!, /^Cancelled: the prompt from long\.txt:1 on .*long-model/);
    assert.ok((await view.getByTestId('asked-prompt').textContent())!.startsWith('Once upon a time there was a little girl named Lily number 0.'));
    assert.equal(await view.locator('.run-page').count(), 0, 'nothing of the short run is left under the cancellation');
    assert.equal(await view.getByTestId('verdict-headline').count(), 0);
    await page.locator('.tabs-container .tab', { hasText: 'Sink Report: cancelled' }).waitFor();
    await page.screenshot({ path: join(RESULTS, 'ui-cancelled-loading.png') });
    await starting.waitFor({ state: 'detached' });

    // Again, cancelled while its one forward pass runs (everything the panel shows comes from it,
    // attention received included): once the model is open and the pass has started.
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    await view
      .getByTestId('progress')
      .filter({ hasText: /running on CPU/ })
      .waitFor({ timeout: 180_000 });
    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'Sink Lens: analysing' });
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await view.locator('body[data-run-state="cancelled"], body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 60_000 });
    assert.equal(await view.locator('body').getAttribute('data-run-state'), 'cancelled', 'the run ended cancelled, not done (if done: the prompt was too short to cancel in time)');
    await view.getByTestId('error').filter({ hasText: 'The analysis was cancelled.' }).waitFor();
    assert.equal(await view.getByTestId('error').locator('vscode-button').count(), 0, 'a cancelled run offers no model or settings buttons');
    await progress.waitFor({ state: 'detached' });
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'the worker was stopped' }).waitFor();
    await page.screenshot({ path: join(RESULTS, 'ui-cancelled.png') });

    // The next run, on the usual short prompt, starts a fresh worker and completes. (prompt.py is
    // open already: its tab, then the line.)
    await page.locator('.tabs-container .tab', { hasText: 'prompt.py' }).click();
    await page.locator('.monaco-editor .view-lines', { hasText: 'PROMPT = ' }).waitFor();
    await runCommand(page, 'Go to Line/Column...');
    await page.keyboard.type('3:30');
    await page.keyboard.press('Enter');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });
    assert.equal(await view.getByTestId('prompt').textContent(), SAMPLE_PROMPT);
    assert.ok(Number(/ · (\d+) tokens · /.exec((await view.getByTestId('meta').textContent()) ?? '')?.[1]) < 100, 'the panel shows the short prompt');
    assert.match((await view.getByTestId('progress').textContent()) ?? '', /^Done: /);
    assert.equal(await view.getByTestId('error').count(), 0, 'the cancelled notice is gone');
  });
});
