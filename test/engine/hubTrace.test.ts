/**
 * Traces over a hub model's `stepN` revisions and over a transformers Trainer's `checkpoint-N/`
 * folders, on the demo model's 8 training checkpoints written as Hugging Face LLaMA checkpoints
 * (tools/hf_ref/make_trace_fixtures.py): what is found (revisions by step, `main` left out with a
 * note, `--revisions` and its one-line errors, a partial download; the Trainer's global_step and
 * the run's tokenizer), and the numbers: those of the trace of the ONNX checkpoints they were
 * converted from, with the sink emerging, and one revision against the PyTorch reference.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SinkLensError } from '../../src/engine/errors';
import { resolveHubSnapshot } from '../../src/engine/hf/hubCache';
import { locateModelFiles } from '../../src/engine/model/modelFiles';
import { discoverCheckpoints } from '../../src/engine/trace/checkpoints';
import { runTrace } from '../../src/engine/trace/traceRunner';
import type { TraceCheckpoint, TraceDocument } from '../../src/protocol/trace';
import { assertClose } from '../support/compare';
import { folderSnapshot } from '../support/folderSnapshot';
import { TRACE_HUB_MODEL, traceHubFixture, trainerRunFixture } from '../support/hfFixtures';
import { cliPath, repoRoot } from '../support/paths';
import { torchMissing } from '../support/torchReference';
import { assertTraceCheckpointMatchesReference } from '../support/traceReference';

const SINKLET = join(repoRoot, 'models', 'sinklet');
const PROMPTS = join(SINKLET, 'samples.txt');
const STEPS = [0, 250, 500, 1000, 1500, 2000, 4000, 8000];
const prompts = () => readFileSync(PROMPTS, 'utf8').trim().split('\n');
const measurement = ({ step: _step, path: _path, source: _source, hash: _hash, ...rest }: TraceCheckpoint) => rest;

describe('traces over hub revisions and Trainer checkpoints', { skip: torchMissing() ?? false }, () => {
  let hub: string;
  let run: string;
  let root: string;
  let previousHubCache: string | undefined;
  let hubBefore: string[];
  const notes: string[] = [];
  const onNote = (line: string) => notes.push(line);

  before(() => {
    hub = traceHubFixture();
    run = trainerRunFixture();
    root = mkdtempSync(join(tmpdir(), 'sink-lens-hub-trace-'));
    previousHubCache = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = hub;
    hubBefore = folderSnapshot(hub);
  });
  after(() => {
    assert.deepEqual(folderSnapshot(hub), hubBefore, 'nothing was written into the hub cache');
    if (previousHubCache === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = previousHubCache;
    rmSync(root, { recursive: true, force: true });
  });

  it('takes every stepN revision in the cache by step, leaves main out with a note, and records each source', () => {
    notes.length = 0;
    const checkpoints = discoverCheckpoints(TRACE_HUB_MODEL, { onNote });
    assert.deepEqual(
      checkpoints.map((checkpoint) => checkpoint.step),
      STEPS,
    );
    const last = checkpoints.at(-1)!;
    assert.equal(last.path, `${TRACE_HUB_MODEL}@step8000`);
    assert.deepEqual(last.source, { kind: 'hub', repoId: TRACE_HUB_MODEL, revision: 'step8000', commit: resolveHubSnapshot({ repoId: TRACE_HUB_MODEL, revision: 'step8000' }).commit });
    assert.deepEqual(notes, [`${TRACE_HUB_MODEL}: left out the refs that name no step: main (the commit of step8000)`]);
  });

  it('--revisions takes those, by step; what is not in the cache, names no step or is not a hub id is one line', () => {
    assert.deepEqual(
      discoverCheckpoints(TRACE_HUB_MODEL, { revisions: ['step8000', 'step0', 'step1500', 'step0'] }).map((c) => c.step),
      [0, 1500, 8000],
    );
    assert.throws(
      () => discoverCheckpoints(TRACE_HUB_MODEL, { revisions: ['step0', 'step3000', 'step143000'] }),
      (error: SinkLensError) =>
        error.category === 'model' &&
        error.message.startsWith(`revisions step3000, step143000 of ${TRACE_HUB_MODEL} are not in the local Hugging Face cache (`) &&
        error.message.endsWith(`fetch them with: huggingface-cli download ${TRACE_HUB_MODEL} --revision step3000 && huggingface-cli download ${TRACE_HUB_MODEL} --revision step143000`) &&
        !error.message.includes('\n'),
    );
    assert.throws(() => discoverCheckpoints(TRACE_HUB_MODEL, { revisions: ['main'] }), /--revisions main: a trace orders checkpoints by the step in revision names stepN/);
    assert.throws(() => discoverCheckpoints(`${TRACE_HUB_MODEL}@step0`), /a trace takes a model's revisions with --revisions, e\.g\. --checkpoints sink-lens\/sinklet --revisions step0/);
    assert.throws(() => discoverCheckpoints(run, { revisions: ['step0'] }), /--revisions chooses revisions of a model in the Hugging Face cache/);
    assert.throws(() => discoverCheckpoints('sink-lens/not-there'), /model not found: sink-lens\/not-there .*huggingface-cli download sink-lens\/not-there$/);

    const cli = spawnSync(process.execPath, [cliPath, 'trace', '--checkpoints', TRACE_HUB_MODEL, '--revisions', 'step0,step3000', '--prompts', PROMPTS, '--cache', join(root, 'unused')], {
      encoding: 'utf8',
      env: { ...process.env, HF_HUB_CACHE: hub },
    });
    assert.equal(cli.status, 3, cli.stderr);
    assert.match(
      cli.stderr,
      /^sink-lens: revision step3000 of sink-lens\/sinklet is not in the local Hugging Face cache \(.*\); fetch it with: huggingface-cli download sink-lens\/sinklet --revision step3000\n$/,
    );
  });

  it('a partially downloaded revision is left out with the command that completes it, and refused when named', () => {
    const partial = join(root, 'partial-hub');
    cpSync(hub, partial, { recursive: true, verbatimSymlinks: true });
    const repo = join(partial, 'models--sink-lens--sinklet');
    const step500 = readFileSync(join(repo, 'refs', 'step500'), 'utf8');
    rmSync(join(repo, 'snapshots', step500, 'model.safetensors'));
    writeFileSync(join(repo, 'refs', 'v1.0'), readFileSync(join(repo, 'refs', 'step1000'), 'utf8'));
    notes.length = 0;
    const env = { ...process.env, HF_HUB_CACHE: partial };
    assert.deepEqual(
      discoverCheckpoints(TRACE_HUB_MODEL, { onNote, env }).map((c) => c.step),
      STEPS.filter((step) => step !== 500),
    );
    assert.deepEqual(notes, [
      `${TRACE_HUB_MODEL}: left out the refs that name no step: main (the commit of step8000), v1.0 (the commit of step1000)`,
      `${TRACE_HUB_MODEL}: left out step500: its snapshot has no config.json with model.safetensors (a partial download?); complete it with: huggingface-cli download ${TRACE_HUB_MODEL} --revision step500`,
    ]);
    assert.throws(() => discoverCheckpoints(TRACE_HUB_MODEL, { revisions: ['step500'], env }), /revision step500 of sink-lens\/sinklet is not in the local Hugging Face cache/);
  });

  it("takes a Trainer's checkpoint-N folders by step, agreeing with trainer_state.json, with the run's tokenizer", () => {
    notes.length = 0;
    const checkpoints = discoverCheckpoints(run, { onNote });
    assert.deepEqual(
      checkpoints.map((checkpoint) => checkpoint.step),
      STEPS.slice(1),
    );
    assert.deepEqual(checkpoints[0].source, { kind: 'local', path: join(run, 'checkpoint-250') });
    assert.deepEqual(notes, []);
    // A checkpoint opened on its own finds the tokenizer trainer.save_model() left in the output_dir.
    const files = locateModelFiles(join(run, 'checkpoint-500'));
    assert.equal(files.tokenizer, join(run, 'tokenizer.json'));
    assert.equal(files.tokenizerConfig, join(run, 'tokenizer_config.json'));

    const odd = join(root, 'odd-run');
    cpSync(join(run, 'checkpoint-250'), join(odd, 'best'), { recursive: true }); // no number in the name: global_step says 250
    cpSync(join(run, 'checkpoint-500'), join(odd, 'checkpoint-500'), { recursive: true });
    mkdirSync(join(odd, 'checkpoint-750'));
    writeFileSync(join(odd, 'checkpoint-750', 'config.json'), readFileSync(join(run, 'config.json')));
    writeFileSync(join(odd, 'checkpoint-750', 'pytorch_model.bin'), 'not read');
    notes.length = 0;
    assert.deepEqual(
      discoverCheckpoints(odd, { onNote }).map((c) => [c.step, c.path]),
      [
        [250, join(odd, 'best')],
        [500, join(odd, 'checkpoint-500')],
      ],
    );
    assert.deepEqual(notes, [`left out ${join(odd, 'checkpoint-750')}: its weights are pytorch_model.bin, and Sink Lens reads safetensors (save with safe_serialization=True, the Trainer's default)`]);
    cpSync(join(run, 'checkpoint-1000'), join(odd, 'checkpoint-1200'), { recursive: true });
    assert.throws(() => discoverCheckpoints(odd), /checkpoint-1200: its name says step 1200 but its trainer_state\.json says global_step 1000/);
  });

  describe('numbers', () => {
    let fromHub: TraceDocument;
    let fromOnnx: TraceDocument;
    before(async () => {
      fromHub = await runTrace(discoverCheckpoints(TRACE_HUB_MODEL), { prompts: prompts(), device: 'cpu', cacheFolder: join(root, 'cache-hub') });
      fromOnnx = await runTrace(discoverCheckpoints(join(SINKLET, 'checkpoints')), { prompts: prompts(), device: 'cpu', cacheFolder: join(root, 'cache-onnx') });
    });

    it('the revisions give the numbers of the ONNX checkpoints they were converted from, and the sink emerges', () => {
      assert.deepEqual(
        fromHub.checkpoints.map((c) => c.step),
        STEPS,
      );
      for (const [i, hubCheckpoint] of fromHub.checkpoints.entries()) {
        const onnx = fromOnnx.checkpoints[i];
        const at = `step ${hubCheckpoint.step}`;
        assert.deepEqual(hubCheckpoint.sinkRate, onnx.sinkRate, at);
        assert.equal(hubCheckpoint.formationDepth, onnx.formationDepth, at);
        assert.equal(hubCheckpoint.sinkOnsetLayer, onnx.sinkOnsetLayer, at);
        assertClose(hubCheckpoint.p0NormRatio as number[], onnx.p0NormRatio as number[], `${at} p0NormRatio`, 1e-4);
        assertClose([hubCheckpoint.loss, hubCheckpoint.concentration ?? 0], [onnx.loss, onnx.concentration ?? 0], `${at} loss, concentration`, 1e-4);
      }
      assert.ok(fromHub.checkpoints[0].sinkRate.all < 0.1, `no sink at step 0: ${fromHub.checkpoints[0].sinkRate.all}`);
      assert.ok(fromHub.checkpoints.at(-1)!.sinkRate.all >= 0.5, `a sink at step 8000: ${fromHub.checkpoints.at(-1)!.sinkRate.all}`);
    });

    it("the Trainer's checkpoints, holding the same bytes, have the revisions' content identity and numbers", async () => {
      const fromRun = await runTrace(discoverCheckpoints(run), { prompts: prompts(), device: 'cpu', cacheFolder: join(root, 'cache-run') });
      assert.deepEqual(
        fromRun.checkpoints.map((c) => c.hash),
        fromHub.checkpoints.slice(1).map((c) => c.hash),
      );
      assert.deepEqual(fromRun.checkpoints.map(measurement), fromHub.checkpoints.slice(1).map(measurement));
    });

    it('a revision matches the PyTorch reference, and its trace numbers are its single-prompt report', async () => {
      for (const index of [0, STEPS.length - 1]) await assertTraceCheckpointMatchesReference(fromHub.checkpoints[index], prompts()[0]);
    });
  });
});
