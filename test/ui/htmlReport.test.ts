/**
 * `sink-lens analyze --html`: the exported page, opened from disk in Chromium, shows the same
 * report as the panel (verdict, sink rate, heat map from the embedded maps) with no network, no
 * console errors and no CSP violations, and no button that does nothing there (no Re-run or Select
 * Model…, no Show in editor; it says why; Report JSON downloads the report). Screenshots in light and dark. The trace page's CSV export
 * downloads the same file as `sink-lens trace --csv`. On a mixture-of-experts fixture, the MLP view
 * says which layer has no MLP activation, and "Ablate Selected Heads" (which needs the model) gives
 * a CLI line that runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { SinkReport } from '../../src/protocol/report';
import { traceCsv, type TraceDocument } from '../../src/protocol/trace';
import { describeVerdict } from '../../src/protocol/verdict';
import type { AblationDocument } from '../../src/protocol/analyses';
import { fixture } from '../support/fixtures';
import { hfCheckpoint } from '../support/hfFixtures';
import { CHROMIUM, CHROMIUM_ARGS, REPO, RESULTS } from './codeServer';

const cli = join(REPO, 'dist', 'cli.js');
const missing = !existsSync(CHROMIUM) ? `Chromium is not installed at ${CHROMIUM} (.ci/setup-ui.sh installs it)` : null;

describe('HTML report export', { skip: missing ?? false }, () => {
  it('sink-lens trace --html renders the demo checkpoints offline', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sink-lens-html-'));
    const html = join(folder, 'trace.html');
    const model = join(REPO, 'models', 'sinklet');
    const args = [
      cli,
      'trace',
      '--checkpoints',
      join(model, 'checkpoints'),
      '--prompts',
      join(model, 'samples.txt'),
      '--html',
      html,
      '--out',
      join(folder, 'trace.json'),
      '--cache',
      join(folder, 'cache'),
      '--device',
      'cpu',
    ];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const trace = JSON.parse(readFileSync(join(folder, 'trace.json'), 'utf8')) as TraceDocument;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1100, height: 1500 } });
      const problems: string[] = [];
      tab.on('pageerror', (error) => problems.push(error.message));
      tab.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      await tab.goto(`file://${html}`);
      await tab.getByTestId('trace-table').waitFor();
      assert.equal(await tab.getByTestId('trace-table').locator('tbody tr').count(), trace.checkpoints.length);
      await tab.getByTestId('trace-slider').focus();
      await tab.keyboard.press('Home');
      assert.equal(await tab.getByTestId('selected-step').getAttribute('data-step'), String(trace.checkpoints[0].step));
      // The CSV export is a download here: the same file as `sink-lens trace --csv`.
      const [download] = await Promise.all([tab.waitForEvent('download'), tab.getByTestId('export-trace-csv').click()]);
      assert.match(download.suggestedFilename(), /^sink-trace-[\w.-]+\.csv$/);
      assert.equal(readFileSync(await download.path(), 'utf8'), traceCsv(trace));
      mkdirSync(RESULTS, { recursive: true });
      await tab.screenshot({ path: join(RESULTS, 'html-trace.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it("renders the bundled model's report offline, with its attention maps", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sink-lens-html-'));
    const html = join(folder, 'report.html');
    const json = join(folder, 'report.json');
    const sample = readFileSync(join(REPO, 'models', 'sinklet', 'samples.txt'), 'utf8').split('\n')[0];
    const result = spawnSync(process.execPath, [cli, 'analyze', '--prompt', sample, '--html', html, '--out', json, '--device', 'cpu'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const page = readFileSync(html, 'utf8');
    assert.doesNotMatch(page, /(src|href)="https?:/, 'nothing is loaded from the network');
    const report = JSON.parse(readFileSync(json, 'utf8')) as SinkReport;

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1100, height: 1800 } });
        const tab = await context.newPage();
        const problems: string[] = [];
        tab.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
        tab.on('pageerror', (error) => problems.push(error.message));
        tab.on('request', (request) => !request.url().startsWith('file:') && !request.url().startsWith('data:') && problems.push(`request to ${request.url()}`));
        await tab.goto(`file://${html}`);
        await tab.getByTestId('verdict-headline').waitFor();
        assert.equal(await tab.getByTestId('verdict-headline').textContent(), describeVerdict(report).headline);
        assert.match((await tab.getByTestId('sink-rate').textContent())!, new RegExp(`Sink rate: ${(report.attention.sinkRate.all * 100).toFixed(1)} %`));
        // No button that does nothing here: none to rerun or pick a model, and the page says why.
        assert.equal(await tab.getByTestId('rerun').count(), 0);
        assert.equal(await tab.getByTestId('select-model').count(), 0);
        assert.match((await tab.getByTestId('host-note').textContent())!, /^An exported page: it shows this run only/);
        assert.match((await tab.getByTestId('ablation-host-note').textContent())!, /no model to rerun: Ablate Selected Heads gives the sink-lens command line/);
        await tab.getByTestId('token-3').click();
        await tab.getByTestId('token-details').filter({ hasText: 'Token 3' }).waitFor();
        assert.equal(await tab.getByTestId('token-details').locator('vscode-button').count(), 0, 'no "Show in editor" without an editor');
        // Report JSON works: a download of the report itself.
        const [download] = await Promise.all([tab.waitForEvent('download'), tab.getByTestId('export-json').click()]);
        assert.deepEqual(JSON.parse(readFileSync((await download.path())!, 'utf8')), report);
        await tab.getByTestId('show-map').click();
        await tab
          .getByTestId('map-status')
          .filter({ hasText: /^Layer 0, mean of heads/ })
          .waitFor();
        mkdirSync(RESULTS, { recursive: true });
        await tab.screenshot({ path: join(RESULTS, `html-report-${scheme}.png`), fullPage: true });
        assert.deepEqual(problems, [], 'no console errors, CSP violations or requests');
        await context.close();
      }
    } finally {
      await browser.close();
    }
  });

  it("a GPT-NeoX report (parallel attention + MLP): block outputs only, and the norms chart's depth axis says so", async (t) => {
    const exported = exportFixtureReport(t, 'hf-neox', () => hfCheckpoint('hf-neox'), ['--ids', '0,20,30,40,50,60']);
    if (!exported) return;
    assert.deepEqual(exported.report.residual.depths, [0, 1, 2, 3]);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const { tab, problems } = await openReport(browser, exported.html);
      const label = (await tab.getByTestId('norms-chart').getAttribute('aria-label'))!;
      assert.match(label, /block outputs only: attention and MLP run in parallel, so there is no l \+ 0\.5/);
      mkdirSync(RESULTS, { recursive: true });
      await tab.getByTestId('norms-chart').screenshot({ path: join(RESULTS, 'html-report-parallel-norms.png') });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it('a mixture-of-experts report: one line for the layer with no MLP, and the CLI line for an ablation', async (t) => {
    const exported = exportFixtureReport(t, 'qwen3-moe', () => fixture('qwen3-moe'), ['--ids', '1,20,30,40,50,60', '--no-bos']);
    if (!exported) return;
    const { model, folder, report } = exported;
    const [layer0, layer1] = report.mlp.layers;
    assert.ok(layer0.norms === null && layer1.norms !== null, 'the fixture routes layer 0 to experts and has a plain MLP in layer 1');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const { tab, problems } = await openReport(browser, exported.html);
      assert.match((await tab.getByTestId('mlp-none').textContent())!, /^No MLP activation to draw for layer 0: /);
      assert.equal(Number(await tab.getByTestId('mlp-p0-1').getAttribute('data-value')), layer1.norms![0]);
      assert.equal(await tab.getByTestId('mlp-p0-0').count(), 0);
      // Two heads from the keyboard, then the button: the page has no model, so it says how to run it.
      await tab.getByTestId('sink-cell-0-0').press('Space');
      await tab.getByTestId('sink-cell-0-0').press('ArrowRight');
      await tab.getByTestId('sink-cell-0-1').press('Space');
      await tab.locator('[data-testid="selected-heads"][data-label="L0H0+L0H1"]').waitFor();
      await tab.getByTestId('ablate-selected').click();
      const status = (await tab.locator('[data-testid="ablation-status"][data-state="error"]').textContent())!;
      const command = /run: sink-lens (ablate .*)$/.exec(status)?.[1];
      assert.ok(command, status);
      mkdirSync(RESULTS, { recursive: true });
      await tab.locator('section.mlp').screenshot({ path: join(RESULTS, 'html-report-moe-mlp.png') });
      // The model path may hold spaces; the rest of the line (flags, ids, heads) does not.
      const prefix = `ablate --model ${model} `;
      assert.ok(command.startsWith(prefix), command);
      const out = join(folder, 'ablation.json');
      const ablation = spawnSync(process.execPath, [cli, 'ablate', '--model', model, ...command.slice(prefix.length).split(' '), '--device', 'cpu', '--out', out], { encoding: 'utf8' });
      assert.equal(ablation.status, 0, `${command}: ${ablation.stderr}`);
      const document = JSON.parse(readFileSync(out, 'utf8')) as AblationDocument;
      assert.equal(document.variants[0].label, 'L0H0+L0H1');
      assert.deepEqual(document.baseline.sinkRate, { all: report.attention.sinkRate.all, fromLayer2: report.attention.sinkRate.fromLayer2 }, 'the line reruns the same tokens');
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});

/** `sink-lens analyze --html --out` on a fixture made on first use (skipped, saying why, where it cannot be made). */
function exportFixtureReport(t: TestContext, name: string, make: () => string, args: string[]) {
  let model: string;
  try {
    model = make();
  } catch (error) {
    t.skip(`no ${name} fixture: ${(error as Error).message}`);
    return null;
  }
  const folder = mkdtempSync(join(tmpdir(), 'sink-lens-html-'));
  const html = join(folder, 'report.html');
  const json = join(folder, 'report.json');
  const result = spawnSync(process.execPath, [cli, 'analyze', '--model', model, ...args, '--html', html, '--out', json, '--device', 'cpu'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return { model, folder, html, report: JSON.parse(readFileSync(json, 'utf8')) as SinkReport };
}

/** The exported page in a new tab, drawn to the end, with its console errors collected. */
async function openReport(browser: Browser, html: string) {
  const tab = await browser.newPage({ viewport: { width: 1100, height: 1800 } });
  const problems: string[] = [];
  tab.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  tab.on('pageerror', (error) => problems.push(error.message));
  await tab.goto(`file://${html}`);
  await tab.locator('body[data-run-state="done"]').waitFor({ state: 'attached' });
  return { tab, problems };
}
