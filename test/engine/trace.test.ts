/**
 * Training traces over a checkpoint folder built from the project's fixtures: numbers equal the
 * single-prompt reports of the same checkpoints, the loss equals the cross-entropy of the PyTorch
 * reference's logits, and a trace killed half-way resumes without recomputing finished checkpoints.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Analyzer } from '../../src/engine/analyzer';
import { discoverCheckpoints } from '../../src/engine/trace/checkpoints';
import { parseCondition } from '../../src/engine/trace/traceConditions';
import { runTrace } from '../../src/engine/trace/traceRunner';
import { fixture } from '../support/fixtures';
import { cliPath } from '../support/paths';
import { runReference, torchMissing } from '../support/torchReference';

const PROMPT = 'def main():\n    return 42';

describe('training traces', { skip: torchMissing() ?? false }, () => {
  let root: string;
  let prompts: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sink-lens-trace-'));
    // Three "checkpoints" sharing one byte-level tokenizer: an untrained and a trained LLaMA, and the trained one again.
    const trained = fixture('llama-trained');
    const random = fixture('llama-gqa-random');
    for (const [step, source] of [
      [0, random],
      [500, trained],
      [1000, trained],
    ] as const) {
      const folder = join(root, 'run', `step-${step}`);
      mkdirSync(folder, { recursive: true });
      copyFileSync(join(source, 'model.onnx'), join(folder, 'model.onnx'));
      copyFileSync(join(source, 'config.json'), join(folder, 'config.json'));
      copyFileSync(join(trained, 'tokenizer.json'), join(folder, 'tokenizer.json'));
      copyFileSync(join(trained, 'tokenizer_config.json'), join(folder, 'tokenizer_config.json'));
    }
    prompts = join(root, 'prompts.txt');
    writeFileSync(prompts, `${JSON.stringify(PROMPT).slice(1, -1)}\n`);
  });

  it('discovers steps from folder names, in order', () => {
    assert.deepEqual(
      discoverCheckpoints(join(root, 'run')).map((checkpoint) => checkpoint.step),
      [0, 500, 1000],
    );
    assert.deepEqual(
      discoverCheckpoints(join(root, 'run', 'step-*')).map((checkpoint) => checkpoint.step),
      [0, 500, 1000],
    );
  });

  it('equals single-prompt reports of the same checkpoints, and its loss equals the reference cross-entropy', async () => {
    const prompt = PROMPT.replace(/\\n/g, '\n');
    const trace = await runTrace(discoverCheckpoints(join(root, 'run')), { prompts: [prompt], device: 'cpu', cacheFolder: join(root, 'cache-a') });
    for (const checkpoint of trace.checkpoints) {
      const analyzer = await Analyzer.open(checkpoint.path, { device: 'cpu' });
      const report = await analyzer.analyze({ kind: 'text', text: prompt, source: 'test' }, { addBos: analyzer.addsBosByDefault });
      await analyzer.dispose();
      assert.deepEqual(checkpoint.sinkRate, { all: report.attention.sinkRate.all, fromLayer2: report.attention.sinkRate.fromLayer2 });
      assert.deepEqual(checkpoint.p0NormRatio, report.residual.p0NormRatio);
      assert.equal(checkpoint.formationDepth, report.circuit.formationDepth);
      assert.equal(checkpoint.sinkOnsetLayer, report.circuit.sinkOnsetLayer);
      assert.equal(checkpoint.concentration, report.circuit.concentration);
      assert.equal(checkpoint.concentrationNullReason, report.circuit.concentrationNullReason);
      assert.equal(checkpoint.concentrationNullReason === null, checkpoint.concentration !== null, 'a reason exactly where concentration is null');
      if (checkpoint.formationDepth === null) assert.equal(checkpoint.concentrationNullReason, 'no-formation', 'no formation, no growth to share');
      const ids = report.tokens.map((token) => token.id);
      const logits = runReference(checkpoint.step === 0 ? fixture('llama-gqa-random') : fixture('llama-trained'), ids).logits;
      const expected =
        ids.slice(1).reduce((sum, next, t) => {
          const row = logits[t];
          const max = Math.max(...row);
          return sum + max + Math.log(row.reduce((acc, value) => acc + Math.exp(value - max), 0)) - row[next];
        }, 0) /
        (ids.length - 1);
      assert.ok(Math.abs(checkpoint.loss - expected) < 1e-4 * expected, `step ${checkpoint.step}: loss ${checkpoint.loss} vs reference ${expected}`);
    }
    assert.ok(trace.checkpoints[1].loss < trace.checkpoints[0].loss, 'the trained checkpoint predicts code better than the random one');
  });

  it('a trace killed half-way resumes without recomputing finished checkpoints', async () => {
    const out = join(root, 'resume', 'trace.json');
    const args = [cliPath, 'trace', '--checkpoints', join(root, 'run'), '--prompts', prompts, '--out', out, '--device', 'cpu'];
    const first = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) => {
      first.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('[1/3]')) {
          first.kill('SIGKILL');
          resolve();
        }
      });
      first.on('exit', () => resolve());
    });
    assert.match(stderr, /\[1\/3\] step 0: .*\n?/);
    assert.match(stderr, /\[1\/3\] step 0: .*concentration (-?\d\.\d\d|n\/a \(.+\)),/, 'concentration is printed, with why it is n/a');
    const second = spawnSync(process.execPath, args, { encoding: 'utf8' });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /\[1\/3\] step 0: .*\(cached\)/);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).checkpoints.length, 3);
    const third = spawnSync(process.execPath, [...args, '--jsonl', join(root, 'resume', 'new.jsonl')], { encoding: 'utf8' });
    assert.equal((third.stderr.match(/\(cached\)/g) ?? []).length, 3, 'nothing is recomputed');
  });

  it('--fail-if sets exit 1 when a condition holds on the newest checkpoint', () => {
    const condition = parseCondition('sinkRate.fromLayer2 < 0.5');
    assert.equal(condition.holds({ sinkRate: { all: 0, fromLayer2: 0.2 } } as never), true);
    assert.equal(condition.holds({ sinkRate: { all: 0, fromLayer2: 0.8 } } as never), false);
    assert.throws(() => parseCondition('sinkRate.everything > 1'), /METRIC one of/);
    const result = spawnSync(
      process.execPath,
      [cliPath, 'trace', '--checkpoints', join(root, 'run'), '--prompts', prompts, '--device', 'cpu', '--cache', join(root, 'cache-a'), '--fail-if', 'loss > 0'],
      { encoding: 'utf8' },
    );
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /--fail-if 'loss > 0' holds at step 1000/);
  });
});
