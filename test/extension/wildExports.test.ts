/**
 * The exporter shapes from the wild (issue 12; tools/torch_ref/wild.py) through the extension: each
 * fixture is set as sinkLens.modelPath and "Analyze Token Ids…" runs on a list of ids in a real
 * document. The report the extension returns and stores is checked against the PyTorch reference
 * of the base model to 1e-4 (as the engine's parity tests do), null where the graph computes no
 * value (a sliced last block, with its warning); the panel gets every layer. A fixed-length export
 * refuses a list of another length with its one line, and nothing is stored.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AnalyzeResult } from '../../src/extension/runs/runService';
import { toJsonReport } from '../../src/protocol/runReport';
import type { SinkLens } from '../../src/extension/sinkLens';
import { fixture } from '../support/fixtures';
import { runReference, torchMissing } from '../support/torchReference';
import { closeOrAbsent, expectedAt, WILD_SPECS } from '../support/wildExports';
import { modelSwitching } from './modelSwitching';

suite('Exporter shapes from the wild through the extension', () => {
  const host = modelSwitching(torchMissing());
  if (!host) return;
  const { errors, config } = host;
  let api: SinkLens;
  const written: vscode.Uri[] = [];

  suiteSetup(() => {
    api = host.api;
  });

  suiteTeardown(async () => {
    for (const uri of written) await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
  });

  /** Points the extension at the fixture and runs "Analyze Token Ids…" on `ids` under the cursor, recording what the panel is sent. */
  async function analyzeIds(name: Parameters<typeof fixture>[0], ids: number[]) {
    await config().update('modelPath', fixture(name), vscode.ConfigurationTarget.Global);
    // A document of its own for each list: an open document would not show a rewritten file at once.
    const uri = vscode.Uri.joinPath(host!.folder, `wild_${written.length}.py`);
    written.push(uri);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(`IDS = [${ids.join(', ')}]\n`, 'utf8'));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const cursor = editor.document.positionAt(editor.document.getText().indexOf('[') + 2);
    editor.selection = new vscode.Selection(cursor, cursor);
    const { value: result, posted } = await host!.watchPanel(() => Promise.resolve(vscode.commands.executeCommand<AnalyzeResult | undefined>('sinkLens.analyzeTokenIds')));
    return { result, posted };
  }

  for (const spec of WILD_SPECS) {
    test(`${spec.name}: "Analyze Token Ids…" matches the PyTorch reference (1e-4), null where the graph computes no value`, async () => {
      const { result, posted } = await analyzeIds(spec.name, spec.ids);
      assert.deepEqual(
        errors.map((error) => error.message),
        [],
        'no error was shown',
      );
      assert.ok(result, 'the command returned a report');
      // Compared as the JSON report (null where the graph does not compute a position).
      const report = toJsonReport(result.report);
      assert.deepEqual(
        report.tokens.map((token) => token.id),
        spec.ids,
      );
      assert.deepEqual([report.model.layers, report.model.heads], [spec.layers, spec.heads]);
      const reference = runReference(fixture(spec.name), spec.ids, ['--no-logits']);
      const expected = expectedAt(spec, reference);
      report.residual.norms.forEach((row, d) => assert.equal(closeOrAbsent(row, expected.norms[d], `norms at depth ${d / 2}`), null));
      report.mlp.layers.forEach((layer, l) => assert.equal(closeOrAbsent(layer.norms!, expected.mlpNorms[l]!, `layer ${l} MLP norms`), null));
      report.attention.firstTokenAttention.forEach((layer, l) =>
        layer.forEach((row, h) => assert.equal(closeOrAbsent(row, reference.firstTokenAttention[l][h], `attention to key 0, layer ${l} head ${h}`), null)),
      );
      assert.equal(closeOrAbsent(report.attention.sinkScore.flat(), reference.sinkScore.flat(), 'sink scores'), null);
      expected.p0Present.forEach((present, d) => assert.equal(report.residual.p0NormRatio[d] === null, !present, `P0 norm ratio at depth ${d / 2}`));
      assert.equal(
        report.warnings.some((warning) => warning.code === 'partial-positions'),
        spec.lastOnlyDepths.length > 0,
      );
      // Stored as returned; the panel got the whole report (a new panel's replay may send it twice), and no error.
      assert.deepEqual((await api.runStore.load(result.runId))?.report, result.report);
      const reportsPosted = posted.flatMap((message) => (message.type === 'runReport' && message.body.runId === result.runId ? [message.body.report] : []));
      assert.ok(reportsPosted.length >= 1, 'the report reached the panel');
      for (const sent of reportsPosted) assert.deepEqual(sent, result.report);
      assert.equal(posted.filter((message) => message.type === 'runError').length, 0);
    });
  }

  test('gpt2-fixed-length: a list of another length is refused with its fixed length and the list length; nothing is stored', async () => {
    const runsBefore = (await api.runStore.list()).length;
    const { result } = await analyzeIds('gpt2-fixed-length', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(result, undefined, 'nothing ran');
    assert.deepEqual(
      errors.map((error) => error.message),
      ["this model's input 'input_ids' has a fixed length of 16 tokens, but the prompt has 10; give exactly 16 tokens, or re-export the model with a dynamic sequence axis"],
    );
    assert.equal((errors[0] as Error & { category?: string }).category, 'model');
    assert.equal((await api.runStore.list()).length, runsBefore);
    assert.equal(api.client.busy, false);
  });
});
