/**
 * The webview bundle in Chromium, outside VS Code, fed a 2048-token run through the same messages
 * the host sends: the heat map of a 2048 x 2048 layer renders and hovering it reads values out,
 * and the longest main-thread task is reported (as a diagnostic: tests hold no timing asserts).
 * The data are synthetic (a fixed causal pattern), since this checks drawing, not a model.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, moveMouseInto, REPO, RESULTS } from './codeServer';

test('the webview draws a 2048 x 2048 attention map and reads values on hover', { timeout: 300_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`chromium is not at ${CHROMIUM}: run "bash .ci/setup-ui.sh"`);
    return;
  }
  const bundle = join(REPO, 'dist', 'webview.js');
  if (!existsSync(bundle)) {
    t.skip('dist/webview.js is not built: run "npm run build"');
    return;
  }
  mkdirSync(RESULTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1000, height: 1600 } });
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  try {
    await page.setContent('<!DOCTYPE html><html><body class="vscode-dark"><main id="app"></main></body></html>');
    await page.addStyleTag({ path: join(REPO, 'dist', 'webview.css') });
    await page.evaluate(() => {
      const posted: unknown[] = [];
      (window as unknown as { posted: unknown[] }).posted = posted;
      (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
        postMessage: (message: unknown) => posted.push(message),
        getState: () => undefined,
        setState: () => undefined,
      });
      (window as unknown as { longest: number }).longest = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const w = window as unknown as { longest: number };
          w.longest = Math.max(w.longest, entry.duration);
        }
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.addScriptTag({ path: bundle });

    const tokens = 2048;
    await page.evaluate((T) => {
      const layers = 2;
      const heads = 2;
      const T32 = (value: (i: number) => number) => Float32Array.from({ length: T }, (_, i) => value(i));
      const run = {
        runId: 'big',
        report: {
          schema: 'sink-lens/report@1',
          model: {
            path: '/synthetic/model.onnx',
            architecture: 'llama',
            layers,
            heads,
            kvHeads: null,
            hiddenSize: 8,
            vocabSize: 10,
            attention: 'softmax',
            bosTokenId: 1,
            dtype: 'float32',
            slidingWindowLayers: [],
          },
          runtime: { executionProvider: 'cpu', fallbackReason: null, onnxruntime: 'n/a', timingsMs: { load: 0, tokenize: 0, run: 0, summarize: 0 } },
          prompt: { text: 'x'.repeat(T - 1), source: 'synthetic', bos: true },
          tokens: Array.from({ length: T }, (_, i) => ({ id: i === 0 ? 1 : 5, text: i === 0 ? '<s>' : 'x', start: Math.max(0, i - 1), end: i, special: i === 0 })),
          residual: {
            depths: [0, 0.5, 1, 1.5, 2],
            norms: Array.from({ length: 5 }, (_, d) => T32((i) => (i === 0 ? 10 + d : 1 + d * 0.1))),
            p0NormRatio: [10, 10, 10, 10, 10],
            p0Separation: [],
          },
          attention: {
            firstTokenAttention: Array.from({ length: layers }, () => Array.from({ length: heads }, () => T32((q) => 1 / (q + 1)))),
            received: Array.from({ length: layers }, () => T32((k) => (k === 0 ? 0.5 : 0.5 / T))),
            sinkScore: [
              [0.5, 0.2],
              [0.6, 0.1],
            ],
            uniformBaseline: 0.004,
            sinkRate: { epsilon: 0.3, all: 0.5, fromLayer2: null },
          },
          massiveActivations: [],
          mlp: { layers: [] },
          circuit: { formationDepth: 0, sinkOnsetLayer: 0, withinTwoBlocks: true, concentration: null },
          warnings: [],
        },
      };
      // Benchmark (never asserted): from the first message to the painted frame after it.
      const started = performance.now();
      // As the host sends them: events of the report channel (src/protocol/channels/report.ts).
      window.postMessage({ kind: 'event', type: 'runReport', body: run }, '*');
      return afterPaint().then(() => ((window as unknown as { timings: Record<string, number> }).timings = { firstPaintMs: performance.now() - started }));
      function afterPaint(): Promise<void> {
        return new Promise((resolve) => setTimeout(() => requestAnimationFrame(() => setTimeout(resolve, 0)), 0));
      }
    }, tokens);
    await page.locator('body[data-run-state="done"]').waitFor({ state: 'attached' });

    // Open layer 1, head 0: the webview asks the host, and we answer as the host would.
    const answer = async (head: number) => {
      const request = await page.waitForFunction(
        (h) =>
          (window as unknown as { posted: { kind: string; type: string; params: { head: number } }[] }).posted.find((m) => m.kind === 'request' && m.type === 'attentionMap' && m.params.head === h),
        head,
      );
      const requestId = await request.evaluate((message) => (message as unknown as { id: number }).id);
      await page.evaluate(
        ({ T, requestId, head }) => {
          // Half of every row on key 0, the rest on the diagonal: a sink plus self-attention.
          const data = new Float32Array(T * T);
          for (let q = 0; q < T; q++) {
            data[q * T] += 0.5;
            data[q * T + q] += 0.5;
          }
          const started = performance.now();
          window.postMessage({ kind: 'reply', inReplyTo: requestId, result: { runId: 'big', layer: 1, head, heads: 2, tokens: T, data } }, '*');
          return new Promise<void>((resolve) => setTimeout(() => requestAnimationFrame(() => setTimeout(resolve, 0)), 0)).then(() => {
            const timings = (window as unknown as { timings: Record<string, number> }).timings;
            timings[`heatmapRenderMs_head${head}`] = performance.now() - started;
          });
        },
        { T: tokens, requestId, head },
      );
    };
    await page.evaluate(() => ((window as unknown as { longest: number }).longest = 0));
    await page.getByTestId('sink-cell-1-0').click();
    await answer(0);
    await page.getByTestId('map-status').filter({ hasText: 'Layer 1, head 0' }).waitFor();
    const canvas = page.locator('.heatmap-canvas');
    const box = await canvas.boundingBox();
    assert.ok(box);
    // One screen pixel covers several of the 2048 rows: read whichever query is under the pointer.
    await moveMouseInto(page, canvas, 1.3, box.height - 2); // 1 px border, then key 0
    await page
      .getByTestId('heatmap-readout')
      .filter({ hasText: /query \d+/ })
      .waitFor();
    const readout = await page.getByTestId('heatmap-readout').textContent();
    const query = Number(/query (\d+)/.exec(readout ?? '')?.[1]);
    assert.ok(query > tokens - 10, readout ?? '');
    assert.match(readout ?? '', new RegExp(`query ${query} .* key 0 .*: 0\\.5000`));
    // Keyboard: End goes to the diagonal of the current query, arrows move one cell.
    await canvas.focus();
    await page.keyboard.press('End');
    await page
      .getByTestId('heatmap-readout')
      .filter({ hasText: `key ${query} ` })
      .waitFor();
    await page.keyboard.press('ArrowLeft');
    await page
      .getByTestId('heatmap-readout')
      .filter({ hasText: `key ${query - 1} ` })
      .waitFor();
    assert.match((await page.getByTestId('heatmap-readout').textContent()) ?? '', /: 0\.0000\b/);
    // Another head: a new map of the same size is painted.
    await page.getByTestId('sink-cell-1-1').click();
    await answer(1);
    await page.getByTestId('map-status').filter({ hasText: 'Layer 1, head 1' }).waitFor();
    // Hover response (benchmark): a mousemove over the 2048 x 2048 map until the readout and
    // the crosshair are painted; median of 25 positions.
    await canvas.scrollIntoViewIfNeeded();
    const hover = await page.evaluate(async () => {
      const element = document.querySelector('.heatmap-canvas') as HTMLCanvasElement;
      const rect = element.getBoundingClientRect();
      const samples: number[] = [];
      const handler: number[] = [];
      for (let i = 0; i < 25; i++) {
        const started = performance.now();
        element.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: rect.left + 2 + ((i * 37) % (rect.width - 4)), clientY: rect.top + 2 + ((i * 53) % (rect.height - 4)) }));
        handler.push(performance.now() - started);
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      handler.sort((a, b) => a - b);
      return { median: samples[12], max: samples[24], handlerMedian: handler[12] };
    });
    const timings = await page.evaluate(() => (window as unknown as { timings: Record<string, number> }).timings);
    const measured = { tokens, ...timings, hoverMedianMs: hover.median, hoverMaxMs: hover.max, hoverHandlerMedianMs: hover.handlerMedian };
    t.diagnostic(`webview timings (benchmarks, not asserted): ${JSON.stringify(measured, (_, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
    writeFileSync(join(RESULTS, 'webview-timings.json'), JSON.stringify(measured, null, 2));
    const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
    // The browser reports only tasks over 50 ms ("long tasks").
    t.diagnostic(
      longest > 0
        ? `longest main-thread task while drawing and hovering ${tokens} x ${tokens} maps: ${longest.toFixed(0)} ms`
        : `no main-thread task over 50 ms while drawing and hovering ${tokens} x ${tokens} maps`,
    );
    await canvas.screenshot({ path: join(RESULTS, 'heatmap-2048.png') });
  } catch (error) {
    await page.screenshot({ path: join(RESULTS, 'heatmap-failure.png') }).catch(() => undefined);
    t.diagnostic(consoleLines.slice(-20).join('\n'));
    throw error;
  } finally {
    await browser.close();
  }
});
