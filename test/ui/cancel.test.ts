/**
 * Cancelling from the progress notification, as a user does: "Sink Lens: Analyze Prompt Sinks" on
 * a paragraph of about 4,000 tokens, on the CPU, with a 4-layer, 8-head LLaMA-style model (the
 * llama-bench-4 fixture with the stories260k tokenizer), whose one forward pass takes seconds
 * there; while it runs, the notification's own Cancel button. The panel then says the run was
 * cancelled (body data-run-state="cancelled"), the progress notification goes
 * and the workbench says the worker was stopped; the next run, on the usual short prompt,
 * completes. Saves test-results/ui-cancelled.png. Skips, saying why, when code-server, chromium,
 * the shared stories260k tokenizer or the fixture (made by tools/torch_ref with PyTorch) is missing.
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

test('the progress notification\'s Cancel button cancels a run; the next run completes', { timeout: 600_000 }, async (t) => {
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
    // maxTokens above the prompt: no long-prompt question between the command and the run.
    writeUserSettings(sandbox, { 'sinkLens.modelPath': model, 'sinkLens.device': 'cpu', 'sinkLens.maxTokens': 8192, 'workbench.secondarySideBar.defaultVisibility': 'hidden' });
  };
  await inWorkbench(t, 'ui-cancel', { prepare, toasts: true }, async ({ page }) => {
    await openFile(page, 'long.txt', 'Once upon a time', '1:5');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    const view = activeWebview(page);
    // Everything the panel shows comes from the one forward pass (attention received included):
    // cancel while it runs, as soon as the notification offers it.
    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: 'Sink Lens: analysing' });
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click({ timeout: 180_000 });
    await view.locator('body[data-run-state="cancelled"], body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 60_000 });
    assert.equal(await view.locator('body').getAttribute('data-run-state'), 'cancelled', 'the run ended cancelled, not done (if done: the prompt was too short to cancel in time)');
    await view.getByTestId('error').filter({ hasText: 'The analysis was cancelled.' }).waitFor();
    assert.equal(await view.getByTestId('error').locator('vscode-button').count(), 0, 'a cancelled run offers no model or settings buttons');
    await progress.waitFor({ state: 'detached' });
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'the worker was stopped' }).waitFor();
    await page.screenshot({ path: join(RESULTS, 'ui-cancelled.png') });

    // The next run, on the usual short prompt, starts a fresh worker and completes.
    await openFile(page, 'prompt.py', 'Once upon a time', '3:30');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    await view.locator('body[data-run-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });
    assert.equal(await view.getByTestId('prompt').textContent(), SAMPLE_PROMPT);
    assert.ok((await view.locator('.token').count()) < 100, 'the panel shows the short prompt');
    assert.match((await view.getByTestId('progress').textContent()) ?? '', /^Done: /);
    assert.equal(await view.getByTestId('error').count(), 0, 'the cancelled notice is gone');
  });
});
