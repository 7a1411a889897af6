/**
 * Reliability, security and the extension's parts of issues 8 and 9, inside the real extension
 * host: "Install CUDA Provider" against a NuGet-style server on 127.0.0.1; prompts longer than
 * sinkLens.maxTokens (truncate / analyse all / cancel); the worker killed mid-run; two runs at once;
 * the panel closed mid-stream; a model path from an untrusted workspace's settings.
 */
import AdmZip from 'adm-zip';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisClient } from '../../src/extension/worker/analysisClient';
import type { ModelOpened } from '../../src/protocol/channels/worker';
import type { AnalyzeResult } from '../../src/extension/runs/runService';
import type { SinkLens } from '../../src/extension/sinkLens';
import { eventOf, runIdOf, tapPanel } from './panelTap';
import { settingForTrust } from '../../src/extension/settings/trustedSetting';

const LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'];
const PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside.';

suite('Sink Lens reliability and security in the extension host', () => {
  let api: SinkLens;
  let document: vscode.TextDocument;
  const config = () => vscode.workspace.getConfiguration('sinkLens');

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<SinkLens>('sink-lens.sink-lens');
    assert.ok(extension);
    api = await extension.activate();
    const folder = vscode.workspace.workspaceFolders![0];
    document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'prompt.py'));
  });

  async function cursorInPrompt(): Promise<void> {
    const editor = await vscode.window.showTextDocument(document);
    const cursor = document.positionAt(document.getText().indexOf('little girl'));
    editor.selection = new vscode.Selection(cursor, cursor);
  }

  /** Taps the progress of the next run's 'analyze' request so that a test can act on the stream (kill, close). */
  function tapNextRun(tap: (part: ModelOpened) => void): void {
    const client = api.client as AnalysisClient & { request: AnalysisClient['request'] };
    const original = client.request;
    client.request = function (type, params, options = {}) {
      if (type !== 'analyze') return original.call(client, type, params, options);
      client.request = original; // once
      const onProgress = options.onProgress as ((part: ModelOpened) => void) | undefined;
      const tapped = { ...options, onProgress: (part: ModelOpened) => (onProgress?.(part), tap(part)) };
      return original.call(client, type, params, tapped as typeof options);
    } as AnalysisClient['request'];
  }

  suite('Install CUDA Provider (server on 127.0.0.1)', () => {
    let server: Server;
    let base: string;
    const requests: string[] = [];
    const zip = new AdmZip();
    for (const library of LIBRARIES) zip.addFile(`runtimes/linux-x64/native/${library}`, Buffer.from(`test contents of ${library}`));
    const nupkg = zip.toBuffer();

    suiteSetup(async () => {
      const sha512 = createHash('sha512').update(nupkg).digest('base64');
      server = createServer((request, response) => {
        const url = request.url ?? '';
        requests.push(url);
        if (url.startsWith('/good/') && url.endsWith('.nupkg')) return void response.writeHead(200, { 'content-length': nupkg.length }).end(nupkg);
        if (url.startsWith('/good/') && url.endsWith('.nupkg.sha512')) return void response.writeHead(200).end(sha512);
        if (url.startsWith('/tampered/') && url.endsWith('.nupkg')) return void response.writeHead(200).end(Buffer.concat([nupkg, Buffer.from('x')]));
        if (url.startsWith('/tampered/') && url.endsWith('.nupkg.sha512')) return void response.writeHead(200).end(sha512);
        response.writeHead(404).end('not found');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    suiteTeardown(async () => {
      server.closeAllConnections();
      server.close();
      await config().update('cudaProviderSource', undefined, vscode.ConfigurationTarget.Global);
    });

    test('the command is contributed, with a machine-scoped source setting defaulting to nuget.org', async () => {
      assert.ok((await vscode.commands.getCommands(true)).includes('sinkLens.installCudaProvider'));
      assert.equal(config().inspect<string>('cudaProviderSource')?.defaultValue, 'https://api.nuget.org/v3-flatcontainer/');
    });

    test('declining the consent downloads nothing', async () => {
      await config().update('cudaProviderSource', `${base}/good/`, vscode.ConfigurationTarget.Global);
      const binaryFolder = mkdtempSync(join(tmpdir(), 'sink-lens-cuda-bin-'));
      const before = requests.length;
      const result = await vscode.commands.executeCommand('sinkLens.installCudaProvider', { consent: false, binaryFolder });
      assert.equal(result, undefined);
      assert.equal(requests.length, before, 'no request was made');
      assert.deepEqual(readdirSync(binaryFolder), []);
    });

    test('with consent: downloads, checks the SHA-512, keeps the libraries in global storage and places them; the idle worker is restarted', async () => {
      await config().update('cudaProviderSource', `${base}/good/`, vscode.ConfigurationTarget.Global);
      assert.equal(config().get('cudaProviderSource'), `${base}/good/`);
      const binaryFolder = mkdtempSync(join(tmpdir(), 'sink-lens-cuda-bin-'));
      await cursorInPrompt();
      assert.ok(await vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt'), 'a run first, so that a worker is alive');
      assert.ok(api.client.workerPid, 'a worker is alive');
      const result = await vscode.commands.executeCommand<{ version: string; installed: string[]; sha512: string; packageUrl: string; storageFolder: string }>('sinkLens.installCudaProvider', {
        consent: true,
        binaryFolder,
      });
      assert.ok(result, 'installed');
      assert.ok(result.packageUrl.startsWith(`${base}/good/microsoft.ml.onnxruntime.gpu.linux/${result.version}/`), result.packageUrl);
      assert.deepEqual(readdirSync(binaryFolder).sort(), LIBRARIES);
      for (const library of LIBRARIES) assert.equal(readFileSync(join(binaryFolder, library), 'utf8'), `test contents of ${library}`);
      assert.deepEqual(
        result.installed.sort(),
        LIBRARIES.map((library) => join(binaryFolder, library)),
      );
      assert.equal(result.sha512, createHash('sha512').update(nupkg).digest('base64'));
      // The extension's global storage keeps them (the real binding folder is not touched).
      assert.ok(result.storageFolder.includes('sink-lens.sink-lens'), result.storageFolder);
      for (const library of LIBRARIES) assert.ok(existsSync(join(result.storageFolder, library)), `${library} in global storage`);
      assert.equal(api.client.workerPid, undefined, 'the worker was stopped: the next run starts a fresh one, which tries CUDA');
    });

    test('a tampered package and a missing one install nothing and return no result', async () => {
      for (const folder of ['tampered', 'nowhere']) {
        await config().update('cudaProviderSource', `${base}/${folder}/`, vscode.ConfigurationTarget.Global);
        const binaryFolder = mkdtempSync(join(tmpdir(), 'sink-lens-cuda-bin-'));
        const result = await vscode.commands.executeCommand('sinkLens.installCudaProvider', { consent: true, binaryFolder });
        assert.equal(result, undefined, folder);
        assert.deepEqual(readdirSync(binaryFolder), [], folder);
      }
    });

    test('a source that is not a URL is refused before any download', async () => {
      await config().update('cudaProviderSource', 'file:///etc/', vscode.ConfigurationTarget.Global);
      const binaryFolder = mkdtempSync(join(tmpdir(), 'sink-lens-cuda-bin-'));
      assert.equal(await vscode.commands.executeCommand('sinkLens.installCudaProvider', { consent: true, binaryFolder }), undefined);
      assert.deepEqual(readdirSync(binaryFolder), []);
    });
  });

  suite('prompts longer than sinkLens.maxTokens', () => {
    let fullTokens = 0;
    suiteSetup(async () => {
      await cursorInPrompt();
      const full = await vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt');
      fullTokens = full.report.tokens.length;
      assert.ok(fullTokens > 8);
      await config().update('maxTokens', 8, vscode.ConfigurationTarget.Global);
    });
    suiteTeardown(() => config().update('maxTokens', undefined, vscode.ConfigurationTarget.Global));

    test("the engine's refusal names the token count and the limit (what the dialog shows)", async () => {
      const modelPath = api.runs.modelPath();
      await assert.rejects(
        api.client.request('analyze', {
          runId: 'too-long',
          model: { modelPath, device: 'cpu' },
          prompt: { kind: 'text', text: PROMPT, source: 'test' },
          options: { addBos: true, epsilon: 0.3, maxTokens: 8 },
        }),
        new RegExp(`the prompt has ${fullTokens} tokens, more than the limit of 8 tokens \\(maxTokens\\)`),
      );
    });

    test('"Truncate" analyses the first maxTokens tokens and the report warns', async () => {
      await cursorInPrompt();
      const result = await vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt', { longPrompt: 'truncate' });
      assert.ok(result);
      assert.equal(result.report.tokens.length, 8);
      assert.ok(
        result.report.warnings.some((warning) => warning.code === 'truncated'),
        JSON.stringify(result.report.warnings),
      );
    });

    test('"Analyze All" analyses every token (the limit raised for this run only)', async () => {
      await cursorInPrompt();
      const result = await vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt', { longPrompt: 'analyzeAll' });
      assert.ok(result);
      assert.equal(result.report.tokens.length, fullTokens);
      assert.equal(config().get('maxTokens'), 8, 'the setting is unchanged');
    });

    test('Cancel runs nothing', async () => {
      await cursorInPrompt();
      assert.equal(await vscode.commands.executeCommand('sinkLens.analyzePrompt', { longPrompt: 'cancel' }), undefined);
      assert.equal(api.client.busy, false);
    });
  });

  suite('faults', () => {
    test('the worker killed mid-run: the run fails with a message, the next run starts a fresh worker and succeeds', async () => {
      const errors: Error[] = [];
      const notices = api.notices;
      const showError = notices.show;
      notices.show = (error: unknown) => {
        errors.push(error as Error);
        showError.call(notices, error);
      };
      let killed: number | undefined;
      tapNextRun(() => {
        killed = api.client.workerPid; // the model is open, the analysis is about to run
        process.kill(killed!, 'SIGKILL');
      });
      try {
        await cursorInPrompt();
        const failed = await vscode.commands.executeCommand('sinkLens.analyzePrompt');
        assert.equal(failed, undefined, 'the run failed');
      } finally {
        notices.show = showError;
      }
      assert.ok(killed, 'a worker process was killed');
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /the analysis worker stopped unexpectedly \(exit SIGKILL\); run the command again/);
      assert.equal(api.client.busy, false);
      const again = await vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt');
      assert.ok(again, 'the next run succeeded');
      assert.ok(api.client.workerPid && api.client.workerPid !== killed, 'in a fresh worker');
    });

    test('two runs started at once are queued, never interleaved in the panel', async () => {
      await cursorInPrompt();
      api.reportPanel.showPanel();
      const panel = api.reportPanel.currentPanel()!;
      const posted: string[] = [];
      const untap = tapPanel(panel, (envelope) => {
        const event = eventOf(envelope);
        const runId = event && event.type !== 'runError' ? runIdOf(event) : undefined;
        if (event && runId) posted.push(`${event.type}:${runId}`);
      });
      try {
        const [first, second] = await Promise.all([vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt'), vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt')]);
        assert.ok(first && second, 'both ran');
        assert.notEqual(first.runId, second.runId);
        assert.deepEqual(first.report.attention.sinkScore, second.report.attention.sinkScore, 'the same numbers: nothing of one run leaked into the other');
        const order = posted.map((entry) => entry.split(':')[1]);
        const blocks = order.filter((runId, index) => index === 0 || order[index - 1] !== runId);
        assert.deepEqual(blocks, [first.runId, second.runId], `one run after the other: ${posted.join(' ')}`);
        for (const run of [first, second]) {
          const mine = posted.filter((entry) => entry.endsWith(`:${run.runId}`));
          assert.ok(mine.length >= 1 && mine.every((entry) => entry === `runReport:${run.runId}`), `its report, whole: ${mine.join(' ')}`);
        }
      } finally {
        untap();
      }
    });

    test('closing the panel mid-run is harmless: the run completes and is stored, and the panel reopens with it', async () => {
      tapNextRun(() => api.reportPanel.currentPanel()?.panel.dispose()); // the model opened: as the user closing the tab
      await cursorInPrompt();
      const result = await vscode.commands.executeCommand<AnalyzeResult>('sinkLens.analyzePrompt');
      assert.ok(result, 'the run completed');
      assert.equal(api.reportPanel.currentPanel(), undefined, 'the panel is closed');
      assert.ok(await api.runStore.load(result.runId), 'the run is stored');
      await vscode.commands.executeCommand('sinkLens.showRun', { runId: result.runId });
      assert.equal(api.reportPanel.currentPanel()?.runId, result.runId, 'a new panel shows it');
    });
  });

  suite('workspace trust', () => {
    test('a sinkLens.modelPath from workspace settings is not used when the workspace is not trusted', async () => {
      const before = config().inspect<string>('modelPath');
      await config().update('modelPath', '/tmp/untrusted-workspace/model.onnx', vscode.ConfigurationTarget.Workspace);
      try {
        const inspected = config().inspect<string>('modelPath');
        assert.equal(inspected?.workspaceValue, '/tmp/untrusted-workspace/model.onnx', 'the workspace sets a model');
        // What config.ts reads in an untrusted workspace: the user's (or machine's) value, never the workspace's.
        assert.equal(settingForTrust(inspected, false, ''), before?.globalValue ?? before?.defaultValue ?? '');
        assert.equal(settingForTrust(inspected, true, ''), '/tmp/untrusted-workspace/model.onnx');
        // This window is trusted (code-server runs with --disable-workspace-trust), so here it is used:
        assert.equal(vscode.workspace.isTrusted, true);
        assert.ok(api.runs.modelPath().startsWith('/tmp/untrusted-workspace'), api.runs.modelPath());
      } finally {
        await config().update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });
  });
});
