/** The CLI as a script would use it: real processes, exit codes, one-line errors, valid reports. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeNode, encodeValueInfo } from '../../src/engine/onnx/encode';
import { DataType } from '../../src/engine/onnx/proto';
import { WireWriter } from '../../src/engine/onnx/wire';
import type { SinkReport } from '../../src/protocol/report';
import { assertOneLineError, cli } from '../support/cliRun';
import { cliPath, onnxExports, repoRoot, sharedModelsMissing, stories260k } from '../support/paths';

function scratchModel(bytes: Uint8Array | Buffer): string {
  const folder = mkdtempSync(join(tmpdir(), 'sink-lens-cli-'));
  writeFileSync(join(folder, 'model.onnx'), bytes);
  return folder;
}

describe('sink-lens CLI', () => {
  const missing = sharedModelsMissing();

  it('writes a valid sink-lens/report@1 document for --ids', { skip: missing ?? false }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sink-lens-cli-')), 'r.json');
    const result = cli('analyze', '--model', join(stories260k, 'model.onnx'), '--ids', '1,403,407,261,378', '--device', 'cpu', '--out', out);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as SinkReport;
    const T = 5;
    assert.equal(report.schema, 'sink-lens/report@1');
    assert.deepEqual(
      report.tokens.map((token) => token.id),
      [1, 403, 407, 261, 378],
    );
    assert.equal(report.prompt.text, null, 'ids were given, so there is no text');
    assert.deepEqual(report.residual.depths, [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    for (const row of report.residual.norms) assert.equal(row.length, T);
    assert.equal(report.attention.firstTokenAttention.length, 5);
    for (const layer of report.attention.firstTokenAttention) {
      assert.equal(layer.length, 8);
      for (const head of layer) {
        assert.equal(head.length, T);
        assert.equal(head[0], 1, 'the first query can only attend to itself');
      }
    }
    assert.equal(report.mlp.layers.length, 5);
    assert.equal(report.massiveActivations.length, 11);
    assert.equal(report.runtime.executionProvider, 'cpu');
    assert.equal(report.model.bosTokenId, 1);
    assert.equal(report.model.attention, 'softmax');
    assert.deepEqual(Object.keys(report.circuit).sort(), ['concentration', 'concentrationNullReason', 'formationDepth', 'sinkOnsetLayer', 'withinTwoBlocks']);
    // stories260k forms no high-norm P0 state: no growth to share.
    assert.deepEqual([report.circuit.formationDepth, report.circuit.concentration, report.circuit.concentrationNullReason], [null, null, 'no-formation']);
    assert.equal(report.attention.received?.length, 5, 'attention received, one row per layer');
    for (const row of report.attention.received!) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'each layer shares one unit of attention over the keys');
    for (const entry of report.massiveActivations) assert.ok(entry.median > 0 && (entry.rowMedian ?? 0) > 0, 'layer and row medians');
  });

  it('prints a readable summary without --out', { skip: missing ?? false }, () => {
    const result = cli('analyze', '--model', stories260k, '--prompt', 'Once upon a time, there was a girl.', '--device', 'cpu');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /P0 norm vs the median of the other positions/);
    assert.match(result.stdout, /Sink score .* per layer × head/);
    assert.match(result.stdout, /^Verdict: /m);
    assert.match(result.stdout, /prompt: 13 tokens \(BOS first\)/);
  });

  it('bad arguments exit 2 with one line', () => {
    assertOneLineError(cli('analyze', '--model', stories260k), 2, /exactly one of --prompt/);
    assertOneLineError(cli('analyze', '--ids', '1,x'), 2, /--ids must be/);
    assertOneLineError(cli('analyze', '--ids', '1,2', '--device', 'gpu'), 2, /--device must be auto, cuda or cpu/);
    assertOneLineError(cli('analyze', '--ids', '1,2', '--bogus'), 2, /Unknown option '--bogus'/);
    assertOneLineError(cli('frobnicate'), 2, /unknown command/);
  });

  it('a token id outside the vocabulary is a usage error', { skip: missing ?? false }, () => {
    assertOneLineError(cli('analyze', '--model', stories260k, '--ids', '1,99999'), 2, /outside the model's vocabulary \(0-511\)/);
  });

  it('a missing model path exits 3', () => {
    assertOneLineError(cli('analyze', '--model', '/nonexistent/model', '--ids', '1,2'), 3, /model not found/);
  });

  it('a truncated .onnx exits 3', { skip: missing ?? false }, () => {
    const bytes = readFileSync(join(stories260k, 'model.onnx'));
    assertOneLineError(cli('analyze', '--model', scratchModel(bytes.subarray(0, bytes.length >> 1)), '--ids', '1,2'), 3, /not a readable ONNX model .*truncated/);
  });

  it('random bytes exit 3', () => {
    let seed = 7;
    const random = Buffer.from(Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff));
    assertOneLineError(cli('analyze', '--model', scratchModel(random), '--ids', '1,2'), 3, /not a readable ONNX model/);
  });

  it('a 0-byte file exits 3', () => {
    assertOneLineError(cli('analyze', '--model', scratchModel(Buffer.alloc(0)), '--ids', '1,2'), 3, /is empty \(0 bytes\)/);
  });

  it('a valid ONNX graph that is not a language model exits 3 naming what was expected', () => {
    const graph = new WireWriter()
      .messageField(1, encodeNode({ opType: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' }))
      .messageField(11, encodeValueInfo({ name: 'x', elemType: DataType.Float, shape: [1, 4] }))
      .messageField(12, encodeValueInfo({ name: 'y', elemType: DataType.Float, shape: [1, 4] }));
    const model = new WireWriter().varintField(1, 8).messageField(7, graph).messageField(8, new WireWriter().stringField(1, '').varintField(2, 17)).finish();
    assertOneLineError(
      cli('analyze', '--model', scratchModel(model), '--ids', '1,2'),
      3,
      /^sink-lens: unsupported graph: expected an integer token-id input \(input_ids\) that selects rows of an embedding table, found input 'x' \(float32 \[1, 4\]\); Sink Lens needs the token ids as an input: export the model with input_ids$/,
    );
  });

  it('a graph with an operator Sink Lens cannot see into exits 3 naming it', () => {
    const graph = new WireWriter()
      .messageField(1, encodeNode({ opType: 'SparseAttention', domain: 'com.microsoft', inputs: ['input_ids'], outputs: ['y'], name: 'sparse_0' }))
      .messageField(11, encodeValueInfo({ name: 'input_ids', elemType: DataType.Int64, shape: [1, 'T'] }))
      .messageField(12, encodeValueInfo({ name: 'y', elemType: DataType.Float, shape: [1, 'T'] }));
    const model = new WireWriter().varintField(1, 8).messageField(7, graph).messageField(8, new WireWriter().stringField(1, '').varintField(2, 17)).finish();
    assertOneLineError(cli('analyze', '--model', scratchModel(model), '--ids', '1,2'), 3, /unsupported graph: operator com\.microsoft\.SparseAttention at node 'sparse_0' is not supported/);
  });

  it('a text prompt for a model folder without tokenizer.json exits 3 naming the folder and --ids', { skip: missing ?? false }, () => {
    const folder = join(onnxExports, 'tiny-qwen35-cuda');
    const result = cli('analyze', '--model', folder, '--prompt', 'Once upon a time', '--device', 'cpu');
    assertOneLineError(result, 3, /this model folder has no tokenizer\.json: .*tiny-qwen35-cuda; put the model's own tokenizer\.json there, or analyse token ids \(--ids 1,17,5/);
  });

  it('runs a fused exporter graph (GPT-2 with com.microsoft Attention and past inputs)', { skip: missing ?? false }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sink-lens-cli-')), 'r.json');
    const result = cli('analyze', '--model', join(onnxExports, 'tiny-random-gpt2-fp32', 'past.onnx'), '--ids', '5,6,7,8', '--out', out);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as SinkReport;
    assert.equal(report.model.attention, 'recomputed');
    assert.equal(report.model.architecture, 'gpt2');
  });

  it('ends quietly when the reader closes the pipe (sink-lens … | head), whatever the command', async () => {
    const sinklet = join(repoRoot, 'models', 'sinklet');
    for (const args of [
      ['--help'],
      ['inspect', '--model', sinklet],
      ['analyze', '--model', sinklet, '--ids', '1,5,9,12', '--device', 'cpu'],
      ['substitute', '--model', sinklet, '--ids', '1,5,9,12', '--device', 'cpu'],
    ]) {
      // The read end is closed before the process writes anything, so its first write fails with EPIPE.
      const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.deepEqual({ code, stderr }, { code: 0, stderr: '' }, `sink-lens ${args[0]}`);
    }
  });
});
