/**
 * `--html`: a panel as one self-contained HTML file. It inlines the same webview bundle the
 * extension shows (the Sink Report: dist/webview.js; the checkpoint trace: dist/trace.js) behind a
 * small stand-in for VS Code (dist/static-host.js, dist/static-trace-host.js), with the data
 * embedded: the report and, when small enough, every layer's attention maps; or the trace.
 * Nothing is loaded from anywhere; a strict CSP with a nonce says so.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Analyzer } from '../engine/analyzer';
import type { AnalyzeOptions, PromptInput } from '../engine/api';
import { SinkLensError } from '../engine/errors';
import type { SinkReport } from '../protocol/report';
import type { TraceDocument } from '../protocol/trace';
import type { TraceView } from '../protocol/channels/trace';

/** Above this many attention probabilities (all layers and heads), maps are left out of the file. */
const MAX_EMBEDDED_VALUES = 4_000_000;

/** Default Light+ / Dark+ values of the theme variables the panel uses. */
const THEME = {
  light: {
    foreground: '#3b3b3b',
    'editor-background': '#ffffff',
    'editor-foreground': '#3b3b3b',
    descriptionForeground: '#717171',
    focusBorder: '#005fb8',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'charts-orange': '#d18616',
    'charts-blue': '#1a85ff',
    'charts-red': '#e51400',
    'panel-border': '#e5e5e5',
    'textLink-foreground': '#005fb8',
    'textLink-activeForeground': '#005fb8',
    'textBlockQuote-background': '#f8f8f8',
    'textCodeBlock-background': '#f3f3f3',
    'editorWidget-background': '#f8f8f8',
    'editorWidget-border': '#e5e5e5',
    errorForeground: '#e51400',
    'settings-dropdownBackground': '#ffffff',
    'settings-dropdownBorder': '#cecece',
    'settings-dropdownForeground': '#3b3b3b',
    'settings-dropdownListBorder': '#cecece',
    'list-activeSelectionBackground': '#e8e8e8',
    'list-activeSelectionForeground': '#000000',
    'list-hoverBackground': '#f2f2f2',
    'list-focusOutline': '#005fb8',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
  },
  dark: {
    foreground: '#cccccc',
    'editor-background': '#1f1f1f',
    'editor-foreground': '#cccccc',
    descriptionForeground: '#9d9d9d',
    focusBorder: '#0078d4',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    'charts-orange': '#d18616',
    'charts-blue': '#3794ff',
    'charts-red': '#f14c4c',
    'panel-border': '#2b2b2b',
    'textLink-foreground': '#4daafc',
    'textLink-activeForeground': '#4daafc',
    'textBlockQuote-background': '#2b2b2b',
    'textCodeBlock-background': '#2b2b2b',
    'editorWidget-background': '#202020',
    'editorWidget-border': '#313131',
    errorForeground: '#f85149',
    'settings-dropdownBackground': '#313131',
    'settings-dropdownBorder': '#3c3c3c',
    'settings-dropdownForeground': '#cccccc',
    'settings-dropdownListBorder': '#454545',
    'list-activeSelectionBackground': '#04395e',
    'list-activeSelectionForeground': '#ffffff',
    'list-hoverBackground': '#2a2d2e',
    'list-focusOutline': '#0078d4',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
  },
};

const FONTS = `--vscode-font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif; --vscode-font-size: 13px; --vscode-font-weight: normal;
  --vscode-editor-font-family: ui-monospace, "DejaVu Sans Mono", monospace; --vscode-editor-font-size: 13px;`;

function themeCss(): string {
  const variables = (theme: Record<string, string>) =>
    Object.entries(theme)
      .map(([name, value]) => `--vscode-${name}: ${value};`)
      .join(' ');
  return `:root { ${FONTS} ${variables(THEME.light)} }
@media (prefers-color-scheme: dark) { :root { ${variables(THEME.dark)} } }
body { background: var(--vscode-editor-background); color: var(--vscode-foreground); font-family: var(--vscode-font-family); margin: 0 auto; max-width: 1100px; }`;
}

/** The webview bundles, from the folder that holds the CLI bundle. */
function asset(name: string): string {
  const path = join(__dirname, name);
  if (!existsSync(path)) throw new SinkLensError('runtime', 'html-assets-missing', `${name} is missing beside the CLI; run npm run build`);
  return readFileSync(path, 'utf8');
}

/** Inline scripts must not close their own <script> element. */
const scriptSafe = (code: string) => code.replace(/<\/(script)/gi, '<\\/$1');

/** `demoModel`: the report is of the bundled demo model (the page then explains a run without a sink, as the CLI does). */
export async function renderReportHtml(analyzer: Analyzer, input: PromptInput, options: AnalyzeOptions, report: SinkReport, { demoModel = false }: { demoModel?: boolean } = {}): Promise<string> {
  const { layers, heads } = analyzer.model;
  const T = report.tokens.length;
  let maps: string[] | null = null;
  if (layers * heads * T * T <= MAX_EMBEDDED_VALUES) {
    maps = [];
    for (let layer = 0; layer < layers; layer++) {
      const { data } = await analyzer.attentionMaps(input, layer, options);
      maps.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'));
    }
  }
  return htmlPage(`Sink Lens · ${report.model.path}`, { report, maps, demoModel }, 'webview.css', ['static-host.js', 'webview.js']);
}

export function renderTraceHtml(trace: TraceDocument, folder: string): string {
  // An id shaped as the extension's trace store makes them (hex), which the trace channel checks for.
  const traceId = createHash('sha256').update(folder).digest('hex').slice(0, 16);
  const view: TraceView = { traceId, name: basename(folder), folder, total: trace.checkpoints.length, done: true, trace };
  return htmlPage(`Sink Lens trace · ${folder}`, view, 'trace.css', ['static-trace-host.js', 'trace.js']);
}

function htmlPage(titleText: string, embedded: unknown, css: string, scripts: string[]): string {
  const nonce = randomBytes(16).toString('base64');
  const data = JSON.stringify(embedded).replace(/</g, '\\u003c');
  const title = titleText.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: blob:; font-src data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style nonce="${nonce}">${themeCss()}</style>
<style nonce="${nonce}">${asset(css)}</style>
</head>
<body>
<div id="app"></div>
<script type="application/json" id="sink-lens-data">${data}</script>
${scripts.map((script) => `<script nonce="${nonce}">${scriptSafe(asset(script))}</script>`).join('\n')}
</body>
</html>
`;
}
