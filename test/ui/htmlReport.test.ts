/**
 * `sink-lens analyze --html`: the exported page, opened from disk in Chromium, shows the same
 * report as the panel (verdict, sink rate, heat map from the embedded maps) with no network, no
 * console errors and no CSP violations. Screenshots in light and dark.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import type { SinkReport } from '../../src/engine/report';
import { describeVerdict } from '../../src/engine/verdict';
import { CHROMIUM, CHROMIUM_ARGS, REPO, RESULTS } from './codeServer';

const cli = join(REPO, 'dist', 'cli.js');
const missing = !existsSync(CHROMIUM) ? `Chromium is not installed at ${CHROMIUM} (.ci/setup-ui.sh installs it)` : null;

describe('HTML report export', { skip: missing ?? false }, () => {
  it('sink-lens trace --html renders the demo checkpoints offline', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sink-lens-html-'));
    const html = join(folder, 'trace.html');
    const model = join(REPO, 'models', 'sinklet');
    const args = [cli, 'trace', '--checkpoints', join(model, 'checkpoints'), '--prompts', join(model, 'samples.txt'), '--html', html, '--out', join(folder, 'trace.json'), '--cache', join(folder, 'cache'), '--device', 'cpu'];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const trace = JSON.parse(readFileSync(join(folder, 'trace.json'), 'utf8')) as { checkpoints: { step: number }[] };
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
      mkdirSync(RESULTS, { recursive: true });
      await tab.screenshot({ path: join(RESULTS, 'html-trace.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it('renders the bundled model\'s report offline, with its attention maps', async () => {
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
        await tab.getByTestId('show-map').click();
        await tab.getByTestId('map-status').filter({ hasText: /^Layer 0, mean of heads/ }).waitFor();
        mkdirSync(RESULTS, { recursive: true });
        await tab.screenshot({ path: join(RESULTS, `html-report-${scheme}.png`), fullPage: true });
        assert.deepEqual(problems, [], 'no console errors, CSP violations or requests');
        await context.close();
      }
    } finally {
      await browser.close();
    }
  });
});
