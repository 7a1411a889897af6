/**
 * Real exporter outputs through the extension (issue 6): each model in ../shared/models/onnx-exports
 * is set as sinkLens.modelPath, and the real commands run on a prompt in a real document: GPT-2
 * with com.microsoft Attention and past_* inputs (fp32), LLaMA with MultiHeadAttention in fp16
 * with external data, and Qwen with GroupQueryAttention and no tokenizer (token ids, through
 * "Analyze Token Ids…"). The report the extension returns, stores and posts to the panel is checked
 * against the model's genai_config.json and against the CLI's report for the same model and
 * prompt; every attention map the panel can ask for is a causal distribution per row.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { AnalyzeResult } from '../../src/extension/runs/runService';
import type { SinkReport } from '../../src/protocol/report';
import type { SinkLens } from '../../src/extension/sinkLens';
import { requestMap, runIdOf, watchPanel, type PanelEvent } from './panelTap';
import { noTokenizerNotice } from '../../src/extension/notices/errorNotices';
import { cliPath, onnxExports } from '../support/paths';

interface ExportSpec {
  folder: string;
  /** What sinkLens.modelPath is set to: the .onnx file (past.onnx is not found by folder) or the folder. */
  modelPath: string;
  dtype: 'float32' | 'float16';
  /** CLI against extension: 1e-4 in fp32, 1e-2 in fp16. */
  tolerance: number;
  document: { name: string; content: string; cursorAt: string };
  /** The text prompt the document holds, or the token ids. */
  prompt: { text: string } | { ids: number[] };
}

const QWEN_IDS = [1, 17, 5, 300, 42, 9, 77, 512, 3, 250, 6, 901];

const SPECS: ExportSpec[] = [
  {
    folder: 'tiny-random-gpt2-fp32',
    modelPath: join(onnxExports, 'tiny-random-gpt2-fp32', 'past.onnx'),
    dtype: 'float32',
    tolerance: 1e-4,
    // The test model's embedding has 1000 rows while tokenizer.json is GPT-2's full BPE: these
    // words are all below id 1000.
    document: { name: 'gpt2_prompt.py', content: 'PROMPT = "and then the one that is on it is not as it is"\n\nprint(PROMPT)\n', cursorAt: 'one that' },
    prompt: { text: 'and then the one that is on it is not as it is' },
  },
  {
    folder: 'tiny-random-LlamaForCausalLM-fp16',
    modelPath: join(onnxExports, 'tiny-random-LlamaForCausalLM-fp16'),
    dtype: 'float16',
    tolerance: 1e-2,
    document: { name: 'llama_prompt.md', content: '# Prompt\n\nOnce upon a time, there was a little girl named Lily.\n\nAnother paragraph.\n', cursorAt: 'little girl' },
    prompt: { text: 'Once upon a time, there was a little girl named Lily.' },
  },
  {
    folder: 'tiny-qwen35-cuda',
    modelPath: join(onnxExports, 'tiny-qwen35-cuda'),
    dtype: 'float16',
    tolerance: 1e-2,
    document: {
      name: 'qwen_prompts.py',
      content: `PROMPT = "Once upon a time"\nIDS = [${QWEN_IDS.join(', ')}]\nBAD = [1, 5000, 7]\n`,
      cursorAt: '300',
    },
    prompt: { ids: QWEN_IDS },
  },
];

interface GenaiConfig {
  model: {
    bos_token_id: number;
    vocab_size: number;
    decoder: { num_hidden_layers: number; num_attention_heads?: number; num_key_value_heads: number; head_size: number; hidden_size?: number };
  };
}

const missing = existsSync(onnxExports) ? null : `${onnxExports} is absent: these tests need the workplace's shared models (../shared/models)`;

suite('Real exporter outputs (../shared/models/onnx-exports) through the extension', () => {
  if (missing) {
    test(`skipped: ${missing}`, function () {
      this.skip();
    });
    return;
  }

  let api: SinkLens;
  let folder: vscode.Uri;
  let scratch: string;
  let before: { modelPath?: string; device?: string };
  const errors: Error[] = [];
  let showError: (error: unknown) => void;
  const config = () => vscode.workspace.getConfiguration('sinkLens');

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<SinkLens>('sink-lens.sink-lens');
    assert.ok(extension, 'the extension sink-lens.sink-lens is installed');
    api = await extension.activate();
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'a workspace folder is open');
    folder = workspaceFolder.uri;
    scratch = mkdtempSync(join(tmpdir(), 'sink-lens-exports-'));
    before = { modelPath: config().inspect<string>('modelPath')?.globalValue, device: config().inspect<string>('device')?.globalValue };
    // CPU in both the extension and the CLI, so that the two are the same computation.
    await config().update('device', 'cpu', vscode.ConfigurationTarget.Global);
    // Every error the extension would show the user is recorded (and still shown).
    showError = api.notices.show;
    api.notices.show = (error: unknown) => {
      errors.push(error as Error);
      showError.call(api.notices, error);
    };
  });

  suiteTeardown(async () => {
    if (!api) return;
    api.notices.show = showError;
    await config().update('modelPath', before.modelPath, vscode.ConfigurationTarget.Global);
    await config().update('device', before.device, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const spec of SPECS) await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder, spec.document.name)).then(undefined, () => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  setup(() => {
    errors.length = 0;
  });

  /** Opens the spec's document with the cursor at `cursorAt`. */
  async function openAt(spec: ExportSpec, cursorAt: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.joinPath(folder, spec.document.name);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(spec.document.content, 'utf8'));
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const offset = document.getText().indexOf(cursorAt);
    assert.ok(offset >= 0, `${cursorAt} is in ${spec.document.name}`);
    const cursor = document.positionAt(offset + 1);
    editor.selection = new vscode.Selection(cursor, cursor);
    return editor;
  }

  /** The CLI's report for the same model and prompt (same device, BOS by the model's default = the extension's). */
  async function cliReport(spec: ExportSpec): Promise<SinkReport> {
    const out = join(scratch, `${spec.folder}.json`);
    const input = 'ids' in spec.prompt ? ['--ids', spec.prompt.ids.join(',')] : ['--prompt', spec.prompt.text];
    await promisify(execFile)(process.execPath, [cliPath, 'analyze', '--model', spec.modelPath, ...input, '--device', 'cpu', '--out', out], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    return JSON.parse(readFileSync(out, 'utf8')) as SinkReport;
  }

  /** Everything a finished run must satisfy, from the returned, stored and posted report. */
  async function checkRun(spec: ExportSpec, result: AnalyzeResult | undefined, posted: PanelEvent[]): Promise<void> {
    assert.deepEqual(
      errors.map((error) => error.message),
      [],
      'no error was shown',
    );
    assert.ok(result, 'the command returned a report');
    const { report } = result;
    assert.equal(api.client.busy, false, 'nothing is left in flight');

    // The model, as its exporter describes it.
    const genai = (JSON.parse(readFileSync(join(onnxExports, spec.folder, 'genai_config.json'), 'utf8')) as GenaiConfig).model;
    const decoder = genai.decoder;
    const heads = decoder.num_attention_heads ?? decoder.num_key_value_heads; // GPT-2's config names only the KV heads (= heads)
    assert.equal(report.model.layers, decoder.num_hidden_layers, 'layers = num_hidden_layers');
    assert.equal(report.model.heads, heads, 'heads = num_attention_heads');
    assert.equal(report.model.kvHeads, decoder.num_key_value_heads, 'KV heads = num_key_value_heads');
    assert.equal(report.model.hiddenSize, decoder.hidden_size ?? heads * decoder.head_size, 'hidden size');
    assert.equal(report.model.vocabSize, genai.vocab_size, 'vocabulary');
    assert.equal(report.model.bosTokenId, genai.bos_token_id, 'BOS id');
    assert.equal(report.model.dtype, spec.dtype);
    assert.equal(report.model.path, spec.modelPath);
    assert.equal(report.attention.sinkScore.length, decoder.num_hidden_layers);
    for (const layer of report.attention.sinkScore) assert.equal(layer.length, heads);
    assert.equal(report.residual.depths.length, 2 * decoder.num_hidden_layers + 1, 'depths 0, 0.5, …, L');

    // The attention path: recomputed beside the fused operator, as the CLI says for the same model.
    const cli = await cliReport(spec);
    assert.equal(report.model.attention, 'recomputed');
    assert.equal(report.model.attention, cli.model.attention);
    assert.equal(report.runtime.executionProvider, 'cpu');

    // The same tokens and numbers as the CLI.
    if ('ids' in spec.prompt) {
      assert.equal(report.prompt.text, null);
      assert.equal(report.prompt.bos, false, 'ids are used exactly as given');
      assert.deepEqual(
        report.tokens.map((token) => token.id),
        spec.prompt.ids,
      );
    } else {
      assert.equal(report.prompt.text, spec.prompt.text);
    }
    assert.equal(report.prompt.bos, cli.prompt.bos);
    assert.deepEqual(
      report.tokens.map((token) => token.id),
      cli.tokens.map((token) => token.id),
    );
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= spec.tolerance * Math.max(1, Math.abs(b)), `${what}: extension ${a}, CLI ${b}`);
    report.attention.sinkScore.forEach((layer, l) => layer.forEach((score, h) => close(score, cli.attention.sinkScore[l][h], `sinkScore[${l}][${h}]`)));
    report.attention.firstTokenAttention.forEach((layer, l) =>
      layer.forEach((row, h) => row.forEach((value, q) => close(value, cli.attention.firstTokenAttention[l][h][q], `attention to key 0 [${l}][${h}][${q}]`))),
    );
    report.residual.norms.forEach((depth, d) => depth.forEach((norm, t) => close(norm!, cli.residual.norms[d][t]!, `norm at depth ${report.residual.depths[d]}, position ${t}`)));
    assert.equal(report.attention.sinkRate.all, cli.attention.sinkRate.all);

    // Attention to key 0 is a probability; query 0 sees only key 0.
    report.attention.firstTokenAttention.forEach((layer, l) =>
      layer.forEach((row, h) => {
        assert.equal(row.length, report.tokens.length);
        row.forEach((value, q) => assert.ok(value >= 0 && value <= 1, `attention to key 0 [${l}][${h}][${q}] = ${value} is in [0, 1]`));
        assert.ok(Math.abs(row[0] - 1) < 1e-5, `layer ${l} head ${h}: query 0 attends only to itself (${row[0]})`);
      }),
    );

    // Stored as returned, with the attention received of every layer in the report.
    const stored = await api.runStore.load(result.runId);
    assert.ok(stored, 'the run is stored');
    assert.deepEqual(stored.report, report);
    assert.equal(report.attention.received?.length, decoder.num_hidden_layers);
    assert.ok(
      report.attention.received.every((layer) => layer instanceof Float32Array && layer.length === report.tokens.length),
      'attention received of every layer',
    );
    const record = (await api.runStore.list()).find((run) => run.id === result.runId);
    assert.ok(record, 'the run is listed');
    assert.equal(record.modelPath, spec.modelPath);
    assert.equal(record.prompt.kind, 'ids' in spec.prompt ? 'ids' : 'text');

    // Posted to the panel: the whole report in one message; no error. A panel opened for this run
    // replays it when its webview is ready, so the report may come twice, the same.
    const reports = posted.flatMap((message) => (message.type === 'runReport' && runIdOf(message) === result.runId ? [message.body.report] : []));
    assert.ok(reports.length >= 1, 'the report was posted');
    for (const sent of reports) assert.deepEqual(sent, report);
    assert.equal(posted.filter((message) => message.type === 'runError').length, 0, 'no runError');
  }

  /** Every layer's and head's map, asked for as the panel asks: rows sum to 1, causal, column 0 = the report's. */
  async function checkMaps(result: AnalyzeResult): Promise<void> {
    const { report } = result;
    const panel = api.reportPanel.currentPanel();
    assert.ok(panel);
    const T = report.tokens.length;
    let requestId = 70_000;
    for (let layer = 0; layer < report.model.layers; layer++) {
      for (let head = 0; head < report.model.heads; head++) {
        const map = await requestMap(panel, result.runId, layer, head, requestId++);
        assert.equal(map.runId, result.runId);
        assert.equal(map.tokens, T);
        assert.equal(map.heads, report.model.heads);
        assert.equal(map.data.length, T * T);
        for (let q = 0; q < T; q++) {
          const row = map.data.subarray(q * T, (q + 1) * T);
          const sum = row.reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - 1) < 1e-5, `layer ${layer} head ${head} query ${q}: the row sums to ${sum}`);
          for (let k = q + 1; k < T; k++) assert.equal(row[k], 0, `layer ${layer} head ${head} query ${q} sees no future key ${k}`);
          for (let k = 0; k <= q; k++) assert.ok(row[k] >= 0 && row[k] <= 1, `a probability at [${q}][${k}]`);
          assert.ok(Math.abs(row[0] - report.attention.firstTokenAttention[layer][head][q]) < 1e-5, `layer ${layer} head ${head} query ${q}: key 0 of the map is the report's`);
        }
      }
    }
    assert.deepEqual(
      errors.map((error) => error.message),
      [],
      'no error was shown',
    );
  }

  for (const spec of SPECS.filter((entry) => 'text' in entry.prompt)) {
    test(`${spec.folder}: "Analyze Prompt Sinks" on a prompt in ${spec.document.name} matches genai_config.json and the CLI`, async () => {
      await config().update('modelPath', spec.modelPath, vscode.ConfigurationTarget.Global);
      assert.equal(api.runs.modelPath(), spec.modelPath);
      await openAt(spec, spec.document.cursorAt);
      const { value: result, posted } = await watchPanel(api, () => Promise.resolve(vscode.commands.executeCommand<AnalyzeResult | undefined>('sinkLens.analyzePrompt')));
      await checkRun(spec, result, posted);
      // The prompt was taken from the document and the editor shows its tokens.
      assert.equal(result!.report.prompt.text, (spec.prompt as { text: string }).text);
      const snapshot = api.decorations.snapshot(vscode.Uri.joinPath(folder, spec.document.name));
      assert.ok(snapshot && snapshot.runId === result!.runId, 'the prompt is decorated with this run');
      await checkMaps(result!);
    });
  }

  suite('tiny-qwen35-cuda: no tokenizer.json', () => {
    const spec = SPECS.find((entry) => entry.folder === 'tiny-qwen35-cuda')!;

    suiteSetup(async () => {
      await config().update('modelPath', spec.modelPath, vscode.ConfigurationTarget.Global);
    });

    test('a text prompt is refused with a message that names the folder and the way on; nothing is stored', async () => {
      const runsBefore = (await api.runStore.list()).length;
      await openAt(spec, 'upon a time');
      const result = await vscode.commands.executeCommand<AnalyzeResult | undefined>('sinkLens.analyzePrompt');
      assert.equal(result, undefined, 'nothing ran');
      assert.equal(errors.length, 1, `one error shown: ${errors.map((error) => error.message).join(' | ')}`);
      const [error] = errors;
      assert.equal((error as Error & { code?: string }).code, 'no-tokenizer');
      assert.equal((error as Error & { category?: string }).category, 'model');
      const notice = noTokenizerNotice(error as never);
      assert.match(
        notice.message,
        new RegExp(
          `^this model folder has no tokenizer\\.json: ${spec.modelPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; put the model's own tokenizer\\.json there, or analyse token ids: put the cursor in a list of ids .* and run "Sink Lens: Analyze Token Ids…"$`,
        ),
      );
      assert.deepEqual(notice.actions, ['Analyze Token Ids…', 'Select Model…']);
      assert.equal((await api.runStore.list()).length, runsBefore, 'no run was stored');
      assert.equal(api.client.busy, false);
    });

    test('"Analyze Token Ids…" on the list under the cursor runs them exactly as given and matches genai_config.json and the CLI', async () => {
      await openAt(spec, spec.document.cursorAt);
      const { value: result, posted } = await watchPanel(api, () => Promise.resolve(vscode.commands.executeCommand<AnalyzeResult | undefined>('sinkLens.analyzeTokenIds')));
      await checkRun(spec, result, posted);
      const record = (await api.runStore.list()).find((run) => run.id === result!.runId)!;
      assert.deepEqual(record.prompt, { kind: 'ids', ids: QWEN_IDS, source: `${spec.document.name}:2` });
      assert.equal(record.options.addBos, false);
      await checkMaps(result!);
    });

    test('an ids run re-runs from the explorer with the same numbers', async () => {
      await openAt(spec, spec.document.cursorAt);
      const first = await vscode.commands.executeCommand<AnalyzeResult | undefined>('sinkLens.analyzeTokenIds');
      assert.ok(first);
      const again = await vscode.commands.executeCommand<AnalyzeResult | undefined>('sinkLens.rerun', { runId: first.runId });
      assert.ok(again, 'the re-run ran');
      assert.notEqual(again.runId, first.runId);
      assert.deepEqual(
        again.report.tokens.map((token) => token.id),
        QWEN_IDS,
      );
      assert.deepEqual(again.report.attention.sinkScore, first.report.attention.sinkScore);
      assert.deepEqual(errors, []);
    });

    test('an id outside the vocabulary is refused with the range; nothing is stored', async () => {
      const runsBefore = (await api.runStore.list()).length;
      await openAt(spec, '5000');
      const result = await vscode.commands.executeCommand<AnalyzeResult | undefined>('sinkLens.analyzeTokenIds');
      assert.equal(result, undefined);
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as Error & { code?: string }).code, 'bad-token-id');
      assert.match(errors[0].message, /token id 5000 is outside the model's vocabulary \(0-999\)/);
      assert.equal((await api.runStore.list()).length, runsBefore);
    });
  });
});
