/**
 * The Sink Report in VS Code's high-contrast themes ("Default High Contrast" and "Default High
 * Contrast Light"), where a shade of background cannot carry meaning. With ε set between the
 * prompt's sink scores (so that the grid has both sinks and plain heads), a sink's map open, two
 * heads selected and a token focused, it reads the computed colours in the real webview: the text
 * of every grid cell, token and the focused token's code against its own background (WCAG
 * contrast ≥ 4.5), sinks outlined in the theme's contrastBorder, selected heads ringed in its
 * contrastActiveBorder, the P0 token's border and the chart accent visible on the page (≥ 3) and
 * the accent taken from the theme, not the built-in fallback. Saves
 * test-results/ui-panel-hc-dark.png and ui-panel-hc-light.png. Skips, saying why, when
 * code-server, chromium or a model is missing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { cliReport, missingPrerequisite, RESULTS, SAMPLE_PROMPT, SAMPLE_PY, writeUserSettings, type Sandbox } from './codeServer';
import { activeWebview, cspViolations, inWorkbench, openFile, runCommand } from './workbench';

/** Text and background of one element, as painted (alpha composited over what is behind). */
interface Painted {
  what: string;
  text: string;
  background: string;
  ratio: number;
}

interface Colours {
  contrastBorder: string;
  contrastActiveBorder: string;
  accent: string;
  /** The accent is the hard-coded fallback, not a theme colour. */
  accentIsFallback: boolean;
  /** Accent against the page background. */
  accentRatio: number;
  texts: Painted[];
  sinks: { what: string; border: string; width: number }[];
  selected: { what: string; ring: string }[];
  p0: { border: string; ratio: number } | null;
}

/** Runs in the webview: the colours the report is painted in. Self-contained (it is serialised). */
function readColours(body: HTMLElement): Colours {
  type Rgba = [number, number, number, number];
  const parse = (css: string): Rgba => {
    const rgb = /rgba?\(([^)]+)\)/.exec(css);
    const srgb = /color\(srgb ([^)]+)\)/.exec(css);
    const parts = (rgb ?? srgb)?.[1]
      .split(/[\s,/]+/)
      .filter(Boolean)
      .map(Number);
    if (!parts) throw new Error(`cannot read the colour ${css}`);
    const scale = srgb ? 255 : 1;
    return [parts[0] * scale, parts[1] * scale, parts[2] * scale, parts[3] ?? 1];
  };
  const over = (top: Rgba, bottom: Rgba): Rgba => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1) as Rgba;
  const show = (color: Rgba) => `rgb(${color.slice(0, 3).map(Math.round).join(', ')})`;
  const luminance = (color: Rgba) => {
    const [r, g, b] = color
      .slice(0, 3)
      .map((v) => v / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a: Rgba, b: Rgba) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  /** What is painted behind `element`'s content: its background over its ancestors' down to an opaque one. */
  const backgroundOf = (element: Element): Rgba => {
    const layers: Rgba[] = [];
    for (let node: Element | null = element; node; node = node.parentElement) {
      const layer = parse(getComputedStyle(node).backgroundColor);
      layers.push(layer);
      if (layer[3] >= 1) break;
    }
    return layers.reduceRight<Rgba>((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const probe = document.createElement('span');
  body.append(probe);
  const resolve = (value: string): Rgba => {
    probe.style.color = '';
    probe.style.color = value;
    return parse(getComputedStyle(probe).color);
  };
  const page = backgroundOf(body);
  const accent = resolve(getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
  const label = (element: HTMLElement) => element.dataset.testid ?? element.className;
  const texts = [...document.querySelectorAll<HTMLElement>('.grid .cell, .token, .token-details code')].map((element) => {
    const background = backgroundOf(element);
    const text = over(parse(getComputedStyle(element).color), background);
    return { what: `${label(element)} "${element.textContent}"`, text: show(text), background: show(background), ratio: ratio(text, background) };
  });
  const p0 = document.querySelector<HTMLElement>('.token.p0');
  const p0Border = p0 ? over(parse(getComputedStyle(p0).borderTopColor), backgroundOf(p0.parentElement!)) : null;
  const colours: Colours = {
    contrastBorder: show(resolve('var(--vscode-contrastBorder)')),
    contrastActiveBorder: show(resolve('var(--vscode-contrastActiveBorder)')),
    accent: show(accent),
    accentIsFallback: show(accent) === show(resolve('#d18616')),
    accentRatio: ratio(accent, page),
    texts,
    sinks: [...document.querySelectorAll<HTMLElement>('.grid .cell.sink')].map((cell) => {
      const style = getComputedStyle(cell);
      return { what: label(cell), border: style.borderTopStyle === 'none' ? 'none' : show(over(parse(style.borderTopColor), page)), width: parseFloat(style.borderTopWidth) };
    }),
    selected: [...document.querySelectorAll<HTMLElement>('.grid .cell[aria-pressed="true"]')].map((cell) => {
      const ring = /rgba?\([^)]+\)|color\(srgb [^)]+\)/.exec(getComputedStyle(cell).boxShadow)?.[0];
      return { what: label(cell), ring: ring ? show(parse(ring)) : 'none' };
    }),
    p0: p0 && p0Border ? { border: show(p0Border), ratio: ratio(p0Border, backgroundOf(p0.parentElement!)) } : null,
  };
  probe.remove();
  return colours;
}

/** Asserts what high contrast needs of the report, and says the weakest contrast found. */
async function checkColours(t: TestContext, view: FrameLocator, theme: string, expected: { sinks: number; selected: number }): Promise<void> {
  const colours = await view.locator('body').evaluate(readColours);
  const weakest = [...colours.texts].sort((a, b) => a.ratio - b.ratio)[0];
  t.diagnostic(
    `${theme}: accent ${colours.accent} (${colours.accentRatio.toFixed(2)}:1 on the page), weakest text ${weakest.what} ${weakest.text} on ${weakest.background} (${weakest.ratio.toFixed(2)}:1)`,
  );
  assert.ok(colours.texts.length > expected.sinks, `${theme}: the grid and tokens are there`);
  for (const painted of colours.texts) assert.ok(painted.ratio >= 4.5, `${theme}: ${painted.what} is ${painted.text} on ${painted.background}, contrast ${painted.ratio.toFixed(2)}:1 < 4.5:1`);
  assert.equal(colours.sinks.length, expected.sinks, `${theme}: the heads above ε are outlined as sinks`);
  for (const sink of colours.sinks) {
    assert.equal(sink.border, colours.contrastBorder, `${theme}: sink ${sink.what} is outlined in contrastBorder`);
    assert.ok(sink.width >= 2, `${theme}: sink ${sink.what}'s outline is ${sink.width}px`);
  }
  assert.equal(colours.selected.length, expected.selected, `${theme}: the selected heads`);
  for (const head of colours.selected) assert.equal(head.ring, colours.contrastActiveBorder, `${theme}: selected ${head.what} is ringed in contrastActiveBorder`);
  assert.ok(colours.p0 && colours.p0.ratio >= 3, `${theme}: the P0 token's border ${colours.p0?.border} stands out (${colours.p0?.ratio.toFixed(2)}:1)`);
  assert.equal(colours.accentIsFallback, false, `${theme}: the accent ${colours.accent} comes from the theme`);
  assert.ok(colours.accentRatio >= 3, `${theme}: the accent ${colours.accent} is visible on the page (${colours.accentRatio.toFixed(2)}:1 < 3:1)`);
}

test('the report in the high-contrast themes: readable cells and tokens, sinks and selection in contrast borders', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const calm = { 'workbench.secondarySideBar.defaultVisibility': 'hidden' };
  const prepare = (sandbox: Sandbox) => {
    writeFileSync(join(sandbox.workspace, 'prompt.py'), SAMPLE_PY);
    const sinkScore = cliReport(sandbox.root, SAMPLE_PROMPT).attention.sinkScore;
    // ε halfway between the two middle scores: the grid then has sinks and plain heads alike.
    const sorted = sinkScore.flat().sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    const epsilon = Number(((sorted[middle - 1] + sorted[middle]) / 2).toFixed(3));
    const settings = { ...calm, 'sinkLens.epsilon': epsilon };
    writeUserSettings(sandbox, { ...settings, 'workbench.colorTheme': 'Default High Contrast' });
    const heads = sinkScore.flatMap((scores, layer) => scores.map((score, head) => ({ layer, head, score })));
    return { settings, sinks: heads.filter((head) => head.score > epsilon), plain: heads.filter((head) => head.score <= epsilon) };
  };
  await inWorkbench(t, 'ui-hc', { prepare }, async ({ page, sandbox, consoleLines, prepared: { settings, sinks, plain } }) => {
    assert.ok(sinks.length > 0 && plain.length > 0, 'the grid has sinks and plain heads');
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await openFile(page, 'prompt.py', 'Once upon a time', '3:30');
    await runCommand(page, 'Sink Lens: Analyze Prompt Sinks');
    const view = activeWebview(page);
    await view.locator('body.vscode-high-contrast[data-run-state="done"]').waitFor({ state: 'attached', timeout: 120_000 });

    // A sink's map open (a click also selects it alone), a plain head added, a token focused.
    const [sink, other] = [sinks[0], plain[0]];
    await view.getByTestId(`sink-cell-${sink.layer}-${sink.head}`).click();
    await view
      .getByTestId('map-status')
      .filter({ hasText: `Layer ${sink.layer}, head ${sink.head}` })
      .waitFor();
    await view.getByTestId(`sink-cell-${other.layer}-${other.head}`).click({ modifiers: ['Control'] });
    await view.getByTestId('selected-heads').filter({ hasText: '(2 heads)' }).waitFor();
    await view.getByTestId('token-1').click();

    const themes = [
      { name: 'hc-dark', theme: 'Default High Contrast', body: 'body.vscode-high-contrast:not(.vscode-high-contrast-light)' },
      { name: 'hc-light', theme: 'Default High Contrast Light', body: 'body.vscode-high-contrast-light' },
    ];
    for (const { name, theme, body } of themes) {
      writeUserSettings(sandbox, { ...settings, 'workbench.colorTheme': theme });
      await view.locator(body).waitFor({ state: 'attached' });
      // The whole report in one picture: a tall window, scrolled to the top.
      await page.setViewportSize({ width: 1600, height: 3300 });
      await view.locator('body').evaluate(() => window.scrollTo(0, 0));
      await view.locator('.heatmap-canvas').waitFor();
      await page.waitForTimeout(500); // let the charts' resize observers settle before the picture
      await page.screenshot({ path: join(RESULTS, `ui-panel-${name}.png`) });
      await page.setViewportSize({ width: 1600, height: 1000 });
      await checkColours(t, view, theme, { sinks: sinks.length, selected: 2 });
    }
    assert.deepEqual(cspViolations(consoleLines), [], 'the webview runs under its CSP without violations');
  });
});
