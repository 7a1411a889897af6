/** Colours from the VS Code theme (--vscode-* variables), re-read whenever the theme changes. */

export interface ThemeColors {
  foreground: string;
  muted: string;
  background: string;
  accent: string;
  second: string;
  grid: string;
  focus: string;
  /** What sinks are outlined in: the high-contrast themes' contrastBorder, else the foreground. */
  outline: string;
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
}

function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** Some theme colours carry an alpha (#rrggbbaa); lines and canvases need them opaque to stay legible. */
function opaque(color: string): string {
  const [r, g, b] = parseColor(color);
  return `rgb(${r}, ${g}, ${b})`;
}

export function readTheme(): ThemeColors {
  const classes = document.body.classList;
  const kind = classes.contains('vscode-high-contrast-light')
    ? 'high-contrast-light'
    : classes.contains('vscode-high-contrast')
      ? 'high-contrast'
      : classes.contains('vscode-light')
        ? 'light'
        : 'dark';
  const light = kind === 'light' || kind === 'high-contrast-light';
  const foreground = cssVariable('--vscode-editor-foreground', light ? '#333333' : '#cccccc');
  return {
    foreground,
    muted: cssVariable('--vscode-descriptionForeground', '#8b8b8b'),
    background: cssVariable('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    // As --accent in styles.css: the high-contrast themes have no charts.orange, only charts.yellow.
    accent: opaque(cssVariable('--vscode-charts-orange', cssVariable('--vscode-charts-yellow', '#d18616'))),
    second: opaque(cssVariable('--vscode-charts-blue', '#3794ff')),
    grid: cssVariable('--vscode-editorWidget-border', light ? '#c8c8c8' : '#454545'),
    focus: opaque(cssVariable('--vscode-focusBorder', '#007fd4')),
    outline: cssVariable('--vscode-contrastBorder', foreground),
    kind,
  };
}

/**
 * Calls back after VS Code switches theme. It rewrites the body's classes and the root's style
 * (the --vscode-* variables) in separate steps, so wait for both and a frame before re-reading.
 */
export function onThemeChange(callback: () => void): void {
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      callback();
    });
  };
  const observer = new MutationObserver(schedule);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}

/** `a` moved toward `b` by `amount` (0..1), as an RGB triple; alpha in either is ignored. */
export function blend(a: string, b: string, amount: number): [number, number, number] {
  const from = parseColor(a);
  const to = parseColor(b);
  return [0, 1, 2].map((i) => Math.round(from[i] + (to[i] - from[i]) * amount)) as [number, number, number];
}

/** Parses #rgb, #rrggbb(aa) and rgb()/rgba() into [r, g, b]. */
export function parseColor(color: string): [number, number, number] {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim());
  if (hex) {
    const digits = hex[1];
    if (digits.length === 3 || digits.length === 4) return [0, 1, 2].map((i) => parseInt(digits[i] + digits[i], 16)) as [number, number, number];
    return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16)) as [number, number, number];
  }
  const rgb = /rgba?\(([^)]+)\)/i.exec(color);
  if (rgb) {
    const parts = rgb[1]
      .split(/[ ,/]+/)
      .filter(Boolean)
      .map(Number);
    return [parts[0] || 0, parts[1] || 0, parts[2] || 0];
  }
  return [128, 128, 128];
}

/** A 256-entry RGBA lookup from `low` to `high` (values mapped through a square root so small ones show). */
export function colorRamp(low: string, high: string): Uint8ClampedArray {
  const [r0, g0, b0] = parseColor(low);
  const [r1, g1, b1] = parseColor(high);
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = Math.sqrt(i / 255);
    lut[i * 4] = r0 + (r1 - r0) * t;
    lut[i * 4 + 1] = g0 + (g1 - g0) * t;
    lut[i * 4 + 2] = b0 + (b1 - b0) * t;
    lut[i * 4 + 3] = 255;
  }
  return lut;
}
