/**
 * `npm run bench`: what the analysis costs next to a plain forward pass of the same model.
 *
 * Time: both sessions live in one process and their runs alternate, so that machine noise hits both.
 * Memory: each kind of run happens alone in a fresh child process, whose peak RSS we read.
 * The baseline is the unmodified model computing its logits only; the analysis is Analyzer.analyze
 * (probed graph, outputs read back, report built). Prints ratios; never asserts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../src/engine/analyzer';

const repoRoot = resolve(__dirname, '..', '..');
const fixturesRoot = join(repoRoot, '.cache', 'fixtures');
/** Issue targets at T >= 2048: analysis time and peak RSS against a logits-only run. */
const TARGETS = { time: 1.15, rss: 1.1, longRss: 1.2 };

interface ChildResult {
  medianMs: number;
  sessionMs: number;
  peakRssMb: number;
}

function idsOf(tokens: number): number[] {
  return Array.from({ length: tokens }, (_, i) => (i * 7919) % 1000);
}

async function plainSession(onnx: string) {
  const session = await ort.InferenceSession.create(onnx, { graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
  return {
    session,
    run: async (ids: number[]) => {
      await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) }, ['logits']);
    },
  };
}

const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** Child mode: one kind of run, alone, so that its peak RSS is its own. */
async function child(kind: 'plain' | 'analyze', model: string, tokens: number, runs: number): Promise<ChildResult> {
  const ids = idsOf(tokens);
  const started = performance.now();
  let run: () => Promise<unknown>;
  if (kind === 'plain') {
    const plain = await plainSession(join(model, 'model.onnx'));
    run = () => plain.run(ids);
  } else {
    const analyzer = await Analyzer.open(model, { device: 'cpu' });
    run = () => analyzer.analyze({ kind: 'ids', ids, source: 'bench' }, { addBos: false });
  }
  const sessionMs = performance.now() - started;
  await run(); // warm-up (and, with runs = 0, the only run: memory-only measurements)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return { medianMs: times.length ? medianOf(times) : NaN, sessionMs, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** Alternating runs of both in one process: the time ratio. */
async function alternate(model: string, tokens: number, runs: number): Promise<{ plainMs: number; analyzeMs: number }> {
  const ids = idsOf(tokens);
  const plain = await plainSession(join(model, 'model.onnx'));
  const analyzer = await Analyzer.open(model, { device: 'cpu' });
  const analyze = () => analyzer.analyze({ kind: 'ids', ids, source: 'bench' }, { addBos: false });
  await plain.run(ids);
  await analyze();
  const plainTimes: number[] = [];
  const analyzeTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    await plain.run(ids);
    plainTimes.push(performance.now() - t0);
    t0 = performance.now();
    await analyze();
    analyzeTimes.push(performance.now() - t0);
  }
  await analyzer.dispose();
  await plain.session.release();
  return { plainMs: medianOf(plainTimes), analyzeMs: medianOf(analyzeTimes) };
}

function spawnChild(kind: string, model: string, tokens: number, runs: number): ChildResult {
  const result = spawnSync(process.execPath, [__filename, '--child', kind, model, String(tokens), String(runs)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bench child ${kind} T=${tokens} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as ChildResult;
}

/** PyTorch eager with every attention map kept (like output_attentions=True), for reference. */
function torchEager(model: string, tokens: number): { median_ms: number; peak_rss_mb: number } | null {
  const result = spawnSync('/usr/bin/python3', [join(repoRoot, 'bench', 'torch_eager.py'), model, String(tokens), '2'], { encoding: 'utf8', timeout: 900_000 });
  if (result.status !== 0) return null;
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

function ensureFixture(name: string): string {
  const folder = join(fixturesRoot, name);
  if (!existsSync(join(folder, 'model.onnx'))) {
    console.log(`exporting fixture ${name} with tools/torch_ref/export_fixtures.py …`);
    execFileSync('/usr/bin/python3', [join(repoRoot, 'tools', 'torch_ref', 'export_fixtures.py'), '--out', fixturesRoot, '--only', name], { stdio: 'inherit' });
  }
  return folder;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const result = await child(args[1] as 'plain' | 'analyze', args[2], Number(args[3]), Number(args[4]));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const fixtures = (process.env.SINK_LENS_BENCH_FIXTURES ?? 'llama-bench-4,llama-bench-24').split(',');
  const lengths = (process.env.SINK_LENS_BENCH_TOKENS ?? '128,512,2048,4096').split(',').map(Number);
  const withTorch = process.env.SINK_LENS_BENCH_TORCH !== '0' && spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, onnxruntime-node ${ort.env.versions?.node}`;
  console.log(`Sink Lens benchmark · ${machine}`);
  console.log(`targets: analysis time <= ${TARGETS.time}x and peak RSS <= ${TARGETS.rss}x of a logits-only run\n`);
  console.log(`fixture          T     plain ms  analyze ms  time ×   plain RSS MB  analyze RSS MB  RSS ×   session ms (plain/analyze)${withTorch ? '   torch eager ms / RSS MB' : ''}`);
  const rows = [];
  for (const name of fixtures) {
    const model = ensureFixture(name);
    for (const tokens of lengths) {
      const runs = tokens >= 2048 ? 5 : 9;
      const timing = await alternate(model, tokens, runs);
      const plainMemory = spawnChild('plain', model, tokens, 2);
      const analyzeMemory = spawnChild('analyze', model, tokens, 2);
      const torch = withTorch ? torchEager(model, tokens) : null;
      const row = {
        fixture: name,
        tokens,
        plainMs: timing.plainMs,
        analyzeMs: timing.analyzeMs,
        timeRatio: timing.analyzeMs / timing.plainMs,
        plainPeakRssMb: plainMemory.peakRssMb,
        analyzePeakRssMb: analyzeMemory.peakRssMb,
        rssRatio: analyzeMemory.peakRssMb / plainMemory.peakRssMb,
        plainSessionMs: plainMemory.sessionMs,
        analyzeSessionMs: analyzeMemory.sessionMs,
        torchEagerMs: torch?.median_ms ?? null,
        torchEagerPeakRssMb: torch?.peak_rss_mb ?? null,
      };
      rows.push(row);
      const mark = (ratio: number, target: number) => `${ratio.toFixed(2)}${tokens < 2048 || ratio <= target ? ' ' : '!'}`;
      const torchCell = torch ? `   ${torch.median_ms.toFixed(0)} / ${torch.peak_rss_mb.toFixed(0)}` : '';
      console.log(
        `${name.padEnd(15)} ${String(tokens).padStart(5)} ${row.plainMs.toFixed(1).padStart(10)} ${row.analyzeMs.toFixed(1).padStart(11)}  ${mark(row.timeRatio, TARGETS.time).padStart(6)} ${row.plainPeakRssMb.toFixed(0).padStart(14)} ${row.analyzePeakRssMb.toFixed(0).padStart(15)}  ${mark(row.rssRatio, TARGETS.rss).padStart(6)}  ${row.plainSessionMs.toFixed(0)}/${row.analyzeSessionMs.toFixed(0)}${torchCell}`,
      );
    }
  }
  const long = process.env.SINK_LENS_BENCH_LONG === '0' ? null : fixtures.find((name) => name.endsWith('24'));
  let longRow = null;
  if (long) {
    // Memory only (time at this length is minutes on 2 cores): one run of each, in fresh processes.
    const model = ensureFixture(long);
    const plain = spawnChild('plain', model, 8192, 0);
    const analyze = spawnChild('analyze', model, 8192, 0);
    longRow = { fixture: long, tokens: 8192, plainPeakRssMb: plain.peakRssMb, analyzePeakRssMb: analyze.peakRssMb, rssRatio: analyze.peakRssMb / plain.peakRssMb };
    console.log(`\n${long} at T = 8192 (memory only): plain ${plain.peakRssMb.toFixed(0)} MB, analysis ${analyze.peakRssMb.toFixed(0)} MB, ratio ${longRow.rssRatio.toFixed(2)} (target <= ${TARGETS.longRss})`);
  }
  console.log('\n! = outside the target at T >= 2048. Analysis time includes reading the probe outputs and building the report.');
  mkdirSync(join(repoRoot, 'bench'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results.json'), `${JSON.stringify({ machine, targets: TARGETS, rows, long: longRow }, null, 2)}\n`);
  console.log('wrote bench/results.json');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
