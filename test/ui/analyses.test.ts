/**
 * A user's path to the paper's multi-run analyses in the real workbench (code-server + Chromium):
 * with a .txt of the demo model's probe prompts (models/sinklet/samples.txt, one paragraph each)
 * open, run from the command palette "First-Token Substitution", "Ablate Each Head of Layer…"
 * (the file's prompts, layer 0), "Compare Without BOS" and "Analyze Prompts in File / Selection";
 * then "Analyze Prompt Sinks" on the first prompt, check its MLP activation chart, select two heads
 * in the report's sink grid (Ctrl/Cmd-click and the keyboard) and "Ablate Selected Heads"; and from
 * the explorer, a layer node's context menu "Ablate Each Head of Layer…". The key numbers are read
 * out of the webviews and compared with `sink-lens substitute | ablate | compare-bos | batch |
 * analyze` on the same prompts; screenshots in test-results/analyses-*.png (dark, and light for
 * the report's grid and the last sweep). Skips, saying why, when code-server, chromium or the demo
 * model are missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import type { AblationDocument, BatchDocument, BosComparison, SubstitutionDocument } from '../../src/protocol/analyses';
import type { SinkReport } from '../../src/protocol/report';
import { missingPrerequisite, REPO, RESULTS, writeUserSettings, type Sandbox } from './codeServer';
import { cspViolations, fromContextMenu, inWorkbench, runCommand, webviewWith } from './workbench';

const MODEL = join(REPO, 'models', 'sinklet');
const SAMPLES = join(MODEL, 'samples.txt');
const PROMPT_COUNT = 4;

/** Picks the quick-pick row that shows `text`: filter by typing, then Enter (as a keyboard user). */
async function pick(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ state: 'visible', timeout: 60_000 });
  await input.fill(text);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ state: 'visible' });
  await input.press('Enter');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ state: 'hidden', timeout: 30_000 });
}

function cli<T>(root: string, name: string, args: string[]): T {
  const out = join(root, `cli-${name}.json`);
  const result = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), name, '--model', MODEL, '--device', 'cpu', ...args, '--out', out], { encoding: 'utf8' });
  assert.equal(result.status, 0, `sink-lens ${name}: ${result.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

const valueOf = async (view: FrameLocator, testId: string) => {
  const raw = await view.getByTestId(testId).getAttribute('data-value');
  return raw === '' || raw === null ? null : Number(raw);
};
const same = (shown: number | null, expected: number | null | undefined, what: string) => {
  if (expected === null || expected === undefined) assert.equal(shown, null, what);
  else assert.ok(shown !== null && Math.abs(shown - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: panel ${shown}, CLI ${expected}`);
};
const maxOf = (values: (number | null)[]) => Math.max(...values.filter((value): value is number => value !== null));

test('palette → substitution, head sweep, with/without BOS, many prompts: the panel shows the CLI numbers', { timeout: 900_000 }, async (t) => {
  const missing = missingPrerequisite() ?? (existsSync(join(MODEL, 'model.onnx')) ? null : `no demo model at ${MODEL}`);
  if (missing) {
    t.skip(missing);
    return;
  }
  const settings = { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'sinkLens.device': 'cpu' };
  const prepare = (sandbox: Sandbox) => {
    writeUserSettings(sandbox, settings);
    const prompts = readFileSync(SAMPLES, 'utf8')
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .slice(0, PROMPT_COUNT);
    // The editor's file: one paragraph per prompt. The CLI's: one prompt per line (the same prompts).
    writeFileSync(join(sandbox.workspace, 'prompts.txt'), `${prompts.join('\n\n')}\n`);
    const cliPrompts = join(sandbox.root, 'cli-prompts.txt');
    writeFileSync(cliPrompts, `${prompts.join('\n')}\n`);
    const expected = {
      substitution: cli<SubstitutionDocument>(sandbox.root, 'substitute', ['--prompt', prompts[0]]),
      ablation: cli<AblationDocument>(sandbox.root, 'ablate', ['--prompts', cliPrompts, '--sweep-layer', '0']),
      bos: cli<BosComparison>(sandbox.root, 'compare-bos', ['--prompt', prompts[0]]),
      batch: cli<BatchDocument>(sandbox.root, 'batch', ['--prompts', cliPrompts]),
      report: cli<SinkReport>(sandbox.root, 'analyze', ['--prompt', prompts[0]]),
      // The two heads selected in the report's grid below, removed together.
      selected: cli<AblationDocument>(sandbox.root, 'ablate', ['--prompt', prompts[0], '--ablate', '0:1,1:0']),
      layer1: cli<AblationDocument>(sandbox.root, 'ablate', ['--prompt', prompts[0], '--sweep-layer', '1']),
    };
    return { prompts, expected };
  };
  await inWorkbench(t, 'analyses', { prepare }, async ({ page, sandbox, consoleLines, prepared: { prompts, expected } }) => {
    const shot = async (name: string, height = 1500) => {
      await page.setViewportSize({ width: 1600, height });
      await page.waitForTimeout(800); // let the charts' resize observers settle before the picture
      await page.screenshot({ path: join(RESULTS, name) });
      await page.setViewportSize({ width: 1600, height: 1000 });
    };
    const done = (kind: string) => `body[data-analysis-kind="${kind}"][data-analysis-state="done"]`;
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await runCommand(page, 'Go to File...');
    await page.locator('.quick-input-widget input').fill('prompts.txt');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'prompts.txt' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: prompts[0].slice(0, 20) }).waitFor();
    // The cursor stays at 1:1, in the first prompt's paragraph.

    // 1. First-token substitution of the first prompt.
    await runCommand(page, 'Sink Lens: First-Token Substitution');
    let view = await webviewWith(page, done('substitute'), 300_000);
    const sub = expected.substitution;
    assert.equal(await view.locator('[data-testid^="sub-row-"]').count(), sub.variants.length);
    for (const [index, variant] of sub.variants.entries()) {
      same(await valueOf(view, `sub-strength-${index}`), variant.sinkStrength, `sink strength of ${variant.label}`);
      same(await valueOf(view, `sub-rate-${index}`), variant.sinkRate.all, `sinkRate of ${variant.label}`);
    }
    assert.equal(await view.getByTestId('sub-finding-headline').getAttribute('data-finding'), sub.finding);
    assert.equal(await view.getByTestId('sub-explanation').textContent(), sub.explanation);
    t.diagnostic(`substitution: ${sub.finding}: ${sub.explanation}`);
    await shot('analyses-substitution.png', 1100);

    // 2. Ablate each head of layer 0 over the file's prompts.
    await runCommand(page, 'Sink Lens: Ablate Each Head of Layer…');
    await pick(page, "All of the file's prompts");
    await pick(page, 'Layer 0');
    view = await webviewWith(page, done('sweepLayer'), 300_000);
    const ablation = expected.ablation;
    const depth2 = ablation.depths.indexOf(2);
    same(await valueOf(view, 'sweep-ratio-base'), maxOf(ablation.baseline.p0NormRatio), 'baseline max P0 norm ratio');
    same(await valueOf(view, 'sweep-rate-base'), ablation.baseline.sinkRate.all, 'baseline sinkRate');
    for (const [index, variant] of ablation.variants.entries()) {
      same(await valueOf(view, `sweep-ratio-${index}`), maxOf(variant.p0NormRatio), `${variant.label} max P0 norm ratio`);
      same(await valueOf(view, `sweep-rate-${index}`), variant.sinkRate.all, `${variant.label} sinkRate`);
      same(await valueOf(view, `sweep-cos-${index}`), variant.crossInputCosineP0[depth2], `${variant.label} cross-input cosine at P0, depth 2`);
      same(await valueOf(view, `sweep-mlp0-${index}`), variant.mlpCosineP0[0], `${variant.label} MLP L0 cosine at P0`);
    }
    await shot('analyses-sweep.png', 1100);

    // 3. With and without BOS, the first prompt.
    await runCommand(page, 'Sink Lens: Compare Without BOS');
    view = await webviewWith(page, done('compareBos'), 300_000);
    const bos = expected.bos;
    same(await valueOf(view, 'bos-all-with'), bos.sinkRate.withBos.all, 'sinkRate[0:] with BOS');
    same(await valueOf(view, 'bos-all-without'), bos.sinkRate.withoutBos.all, 'sinkRate[0:] without BOS');
    same(await valueOf(view, 'bos-2-with'), bos.sinkRate.withBos.fromLayer2, 'sinkRate[2:] with BOS');
    same(await valueOf(view, 'bos-2-without'), bos.sinkRate.withoutBos.fromLayer2, 'sinkRate[2:] without BOS');
    same(await valueOf(view, 'bos-ratio-without'), maxOf(bos.withoutBos.residual.p0NormRatio), 'max P0 norm ratio without BOS');
    assert.ok((await view.getByTestId('verdict-without').textContent())?.length, 'the verdict without BOS is shown');
    // The view says which way this model goes, with the numbers.
    const reading = (await view.getByTestId('bos-reading').textContent()) ?? '';
    const survives = bos.sinkRate.withoutBos.all >= 0.5 * bos.sinkRate.withBos.all;
    assert.match(reading, survives ? /survives without BOS/ : /follows the BOS token, not position 0/);
    assert.ok(reading.includes(`${(bos.sinkRate.withBos.all * 100).toFixed(1)} %`), reading);
    t.diagnostic(`with/without BOS: ${reading}`);
    await shot('analyses-bos.png', 1500);

    // 4. Every prompt of the file.
    await runCommand(page, 'Sink Lens: Analyze Prompts in File / Selection');
    view = await webviewWith(page, done('batch'), 300_000);
    const batch = expected.batch;
    assert.equal(batch.prompts.length, PROMPT_COUNT);
    same(await valueOf(view, 'batch-mean-rate'), batch.sinkRate.all, 'mean sinkRate');
    for (const [d] of batch.crossInputCosine.depths.entries()) {
      same(await valueOf(view, `cos-${d}-1`), batch.crossInputCosine.values[d][1], `cross-input cosine at depth index ${d}, position 1`);
    }
    await shot('analyses-batch.png', 1500);

    // 5. The Sink Report of the first prompt (the cursor is still in it): the layer-0/1 MLP chart.
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    const report = await webviewWith(page, 'body[data-run-state="done"]', 120_000);
    await report.getByTestId('mlp-chart').locator('canvas').waitFor({ state: 'visible' });
    for (const { layer, norms: present } of expected.report.mlp.layers.filter((entry) => entry.layer < 2)) {
      assert.ok(present, `the demo model has an MLP in layer ${layer}`);
      const norms = present as number[];
      const rest = norms.slice(1).sort((a, b) => a - b);
      const median = rest.length % 2 ? rest[(rest.length - 1) / 2] : (rest[rest.length / 2 - 1] + rest[rest.length / 2]) / 2;
      same(await valueOf(report, `mlp-p0-${layer}`), norms[0], `MLP L${layer} activation norm at P0`);
      same(await valueOf(report, `mlp-p0-ratio-${layer}`), norms[0] / median, `MLP L${layer}: P0 / median of the others`);
    }

    // 6. Two heads selected in the grid: L0H1 by Ctrl/Cmd-click, then from the keyboard (the arrows
    //    move the focus from L0H1 to L1H0, Space adds it). Each key goes to a located cell, never
    //    to whatever happens to have the focus.
    await report.getByTestId('sink-cell-0-1').click({ modifiers: ['ControlOrMeta'] });
    await report.getByTestId('sink-cell-0-1').press('ArrowDown');
    await report.locator('[data-testid="sink-cell-1-1"]:focus').waitFor();
    await report.getByTestId('sink-cell-1-1').press('ArrowLeft');
    await report.locator('[data-testid="sink-cell-1-0"]:focus').waitFor();
    await report.getByTestId('sink-cell-1-0').press('Space');
    await report.locator('[data-testid="selected-heads"][data-label="L0H1+L1H0"]').waitFor();
    const pressed = await report.locator('button[data-layer][aria-pressed="true"]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-testid')));
    assert.deepEqual(pressed, ['sink-cell-0-1', 'sink-cell-1-0'], 'exactly the two heads are selected');
    // Toggling selects only: it opens no attention map (a plain click or Enter would).
    assert.equal(await report.locator('button[data-layer][aria-current="true"]').count(), 0);
    await shot('analyses-grid-selected-dark.png', 2000);
    await report.getByTestId('ablate-selected').click();
    view = await webviewWith(page, `${done('ablateHeads')} h1:has-text("ablation of L0H1+L1H0")`, 300_000);
    const selected = expected.selected;
    assert.equal(selected.variants.length, 1);
    same(await valueOf(view, 'sweep-ratio-base'), maxOf(selected.baseline.p0NormRatio), 'unablated max P0 norm ratio');
    same(await valueOf(view, 'sweep-rate-base'), selected.baseline.sinkRate.all, 'unablated sinkRate[0:]');
    same(await valueOf(view, 'sweep-ratio-0'), maxOf(selected.variants[0].p0NormRatio), 'L0H1+L1H0 removed: max P0 norm ratio');
    same(await valueOf(view, 'sweep-rate-0'), selected.variants[0].sinkRate.all, 'L0H1+L1H0 removed: sinkRate[0:]');
    same(await valueOf(view, 'sweep-rate2-0'), selected.variants[0].sinkRate.fromLayer2, 'L0H1+L1H0 removed: sinkRate[2:]');
    // One prompt: no cross-input cosines to show, and the view says why instead of showing blanks.
    assert.equal(await view.locator('[data-testid^="sweep-cos-"]').count(), 0);
    await view.getByTestId('one-prompt-note').waitFor();
    t.diagnostic(
      `L0H1+L1H0 removed: max P0 norm ratio ${maxOf(selected.baseline.p0NormRatio).toFixed(3)} → ${maxOf(selected.variants[0].p0NormRatio).toFixed(3)}, sinkRate ${selected.baseline.sinkRate.all} → ${selected.variants[0].sinkRate.all}`,
    );
    await shot('analyses-ablate-selected.png', 1100);

    // 7. From the explorer: the run's "Layer 1" node, context menu "Ablate Each Head of Layer…".
    await page.locator('.activitybar .action-item a[aria-label^="Sink Lens"]').first().click();
    const runRow = page.locator('.pane-body .monaco-list-row', { hasText: prompts[0].slice(0, 12) }).first();
    await runRow.waitFor({ timeout: 60_000 });
    if ((await runRow.getAttribute('aria-expanded')) !== 'true') await runRow.locator('.monaco-tl-twistie').click();
    const layerRow = page.locator('.pane-body .monaco-list-row[aria-level="3"]', { hasText: 'Layer 1' }).first();
    await layerRow.waitFor({ timeout: 30_000 });
    await fromContextMenu(page, layerRow, 'Ablate Each Head of Layer');
    view = await webviewWith(page, `${done('sweepLayer')} h1:has-text("head sweep of layer 1")`, 300_000);
    const layer1 = expected.layer1;
    for (const [index, variant] of layer1.variants.entries()) {
      same(await valueOf(view, `sweep-ratio-${index}`), maxOf(variant.p0NormRatio), `explorer: ${variant.label} max P0 norm ratio`);
      same(await valueOf(view, `sweep-rate-${index}`), variant.sinkRate.all, `explorer: ${variant.label} sinkRate`);
    }
    await shot('analyses-explorer.png', 1000);

    // Light theme (as a user editing settings.json would): the sweep, then the report, whose
    // webview was hidden behind the analyses panel and comes back with its selection.
    writeUserSettings(sandbox, { ...settings, 'workbench.colorTheme': 'Default Light Modern' });
    await view.locator('body.vscode-light').waitFor();
    await shot('analyses-explorer-light.png', 1000);
    await page.locator('.tabs-container .tab', { hasText: 'Sink Report' }).first().click();
    const restored = await webviewWith(page, 'body.vscode-light[data-run-state="done"] [data-testid="selected-heads"][data-label="L0H1+L1H0"]', 120_000);
    await restored.getByTestId('mlp-chart').locator('canvas').waitFor({ state: 'visible' });
    await shot('analyses-grid-selected-light.png', 2000);

    assert.deepEqual(cspViolations(consoleLines), [], 'the analyses webview runs under its CSP without violations');
  });
});
