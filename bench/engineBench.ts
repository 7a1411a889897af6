/**
 * `npm run bench`: what the analysis, and the extension's whole job as its worker runs it (analysis
 * and token shading, bench/benchJobs.ts), cost next to a plain forward pass of the same model, measured
 * as bench/measure.ts describes (CPU and wall time from alternating pairs with their spread,
 * one-shot peak RSS), the PyTorch eager reference (with the BLAS it ran on), and the CLI's fixed
 * costs cold and cached (bench/fixedCosts.ts). Prints and writes bench/results.json; never asserts.
 *
 * Environment: SINK_LENS_BENCH_FIXTURES (default llama-bench-4,llama-bench-24), _TOKENS
 * (128,512,2048,4096), _PAIRS (pairs per length; default 9, 5 at T >= 2048), _TORCH=0, _LONG=0,
 * _FIXED=0 to leave parts out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { analysis, BenchJob, plainPass, workerJob } from './benchJobs';
import { fixedCosts, FixedCosts } from './fixedCosts';
import { alternate, oneShot, oneShotChild, PairedTimes, Spread } from './measure';

const repoRoot = resolve(__dirname, '..', '..');
const fixturesRoot = join(repoRoot, '.cache', 'fixtures');
/** Issue #13's targets at T = 2048 and 4096 on the 24-layer fixture (benchmark, not tests). */
const TARGETS = { cpuTime: 1.15, oneShotRss: 1.1, cachedStart: 1.2, longRss: 1.2 };

interface TorchEager {
  median_ms: number;
  median_cpu_ms: number;
  peak_rss_mb: number;
  blas: string[];
  blas_build: string;
  threads: number;
}

/** What PyTorch eager keeps of attention maps alone (float32 [L, H, T, T]); beyond TORCH_MEMORY_LIMIT it is not run. */
function keptMapsBytes(model: string, tokens: number): number {
  const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as { num_hidden_layers: number; num_attention_heads: number };
  return config.num_hidden_layers * config.num_attention_heads * tokens * tokens * 4;
}
const TORCH_MEMORY_LIMIT = 8 * 2 ** 30;

/** PyTorch eager with every attention map kept (like output_attentions=True), for reference. */
function torchEager(model: string, tokens: number): TorchEager | null {
  if (keptMapsBytes(model, tokens) > TORCH_MEMORY_LIMIT) return null;
  const result = spawnSync('/usr/bin/python3', [join(repoRoot, 'bench', 'torch_eager.py'), model, String(tokens), '2'], { encoding: 'utf8', timeout: 1_800_000 });
  if (result.status !== 0) return null;
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as TorchEager;
}

function ensureFixture(name: string): string {
  const folder = join(fixturesRoot, name);
  if (!existsSync(join(folder, 'model.onnx'))) {
    console.log(`exporting fixture ${name} with tools/torch_ref/export_fixtures.py …`);
    execFileSync('/usr/bin/python3', [join(repoRoot, 'tools', 'torch_ref', 'export_fixtures.py'), '--out', fixturesRoot, '--only', name], { stdio: 'inherit' });
  }
  return folder;
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const x = (value: number) => `${value.toFixed(2)}x`;
const range = (s: Spread) => `${x(s.median)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
const mark = (ratio: number, target: number, applies: boolean) => (applies && ratio > target ? ' !' : '');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--one-shot') {
    process.stdout.write(`${JSON.stringify(await oneShotChild(args[1], args[2], Number(args[3])))}\n`);
    return;
  }
  const fixtures = (process.env.SINK_LENS_BENCH_FIXTURES ?? 'llama-bench-4,llama-bench-24').split(',');
  const lengths = (process.env.SINK_LENS_BENCH_TOKENS ?? '128,512,2048,4096').split(',').map(Number);
  const pairsFor = (tokens: number) => Number(process.env.SINK_LENS_BENCH_PAIRS ?? (tokens >= 2048 ? 5 : 9));
  const withTorch = process.env.SINK_LENS_BENCH_TORCH !== '0' && spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, onnxruntime-node ${ort.env.versions?.node}`;
  const loadBefore = loadAverage();
  console.log(`Sink Lens benchmark · ${machine}\nload average before: ${loadBefore}`);
  console.log(
    `targets at T >= 2048 on 24 layers: CPU time <= ${TARGETS.cpuTime}x, one-shot peak RSS <= ${TARGETS.oneShotRss}x the plain pass; cached CLI start <= ${TARGETS.cachedStart}x a plain process\n`,
  );
  console.log('fixture          T   job       plain CPU ms  job CPU ms  CPU × median (min–max)  wall × median (min–max)  one-shot RSS MB plain / job  RSS ×   torch eager CPU ms / RSS MB');

  const rows = [];
  let blas: TorchEager['blas'] | null = null;
  for (const name of fixtures) {
    const model = ensureFixture(name);
    for (const tokens of lengths) {
      const plainOnce = oneShot(plainPass, model, tokens);
      const torch = withTorch ? torchEager(model, tokens) : null;
      blas ??= torch?.blas ?? null;
      const targeted = name.endsWith('24') && tokens >= 2048;
      const torchCell = torch
        ? `${torch.median_cpu_ms.toFixed(0)} / ${torch.peak_rss_mb.toFixed(0)}`
        : withTorch
          ? `not run (its kept maps alone: ${(keptMapsBytes(model, tokens) / 2 ** 30).toFixed(0)} GiB)`
          : '';
      const against = async (job: BenchJob, label: string, torchText: string) => {
        const times: PairedTimes = await alternate(model, plainPass, job, tokens, pairsFor(tokens));
        const once = oneShot(job, model, tokens);
        const rssRatio = once.peakRssMb / plainOnce.peakRssMb;
        console.log(
          `${name.padEnd(15)} ${String(tokens).padStart(5)}   ${label.padEnd(8)} ${times.baseCpuMs.median.toFixed(0).padStart(12)} ${times.jobCpuMs.median.toFixed(0).padStart(11)}  ` +
            `${(range(times.cpuRatio) + mark(times.cpuRatio.median, TARGETS.cpuTime, targeted)).padEnd(22)}  ${range(times.wallRatio).padEnd(23)}  ` +
            `${`${plainOnce.peakRssMb.toFixed(0)} / ${once.peakRssMb.toFixed(0)}`.padStart(28)}  ${(x(rssRatio) + mark(rssRatio, TARGETS.oneShotRss, targeted)).padEnd(6)}  ${torchText}`,
        );
        return { times, oneShot: once, rssRatio };
      };
      const analysisRow = await against(analysis, 'analysis', torchCell);
      const workerRow = await against(workerJob, 'worker', '');
      rows.push({ fixture: name, tokens, plainOneShot: plainOnce, analysis: analysisRow, worker: workerRow, torchEager: torch });
    }
  }
  if (blas) console.log(`\nPyTorch eager ran on: ${blas.join(', ')}`);

  const long = process.env.SINK_LENS_BENCH_LONG === '0' ? null : fixtures.find((name) => name.endsWith('24'));
  let longRow = null;
  if (long) {
    // Memory only (time at this length is minutes on 2 cores): one run of each, in fresh processes.
    const model = ensureFixture(long);
    const plainOnce = oneShot(plainPass, model, 8192);
    const analysisOnce = oneShot(analysis, model, 8192);
    longRow = { fixture: long, tokens: 8192, plainPeakRssMb: plainOnce.peakRssMb, analysisPeakRssMb: analysisOnce.peakRssMb, rssRatio: analysisOnce.peakRssMb / plainOnce.peakRssMb };
    console.log(
      `\n${long} at T = 8192 (memory only, one-shot): plain ${plainOnce.peakRssMb.toFixed(0)} MB, analysis ${analysisOnce.peakRssMb.toFixed(0)} MB, ${x(longRow.rssRatio)} (target <= ${TARGETS.longRss}x)`,
    );
  }

  let fixed: FixedCosts | null = null;
  const fixedFixture = fixtures.find((name) => name.endsWith('24')) ?? fixtures[0];
  if (process.env.SINK_LENS_BENCH_FIXED !== '0') {
    fixed = fixedCosts(ensureFixture(fixedFixture), 5);
    console.log(`\nCLI fixed costs on ${fixedFixture} (whole process: start, open, 3-token run, report), wall / CPU ms:`);
    console.log(
      `  plain process (load onnxruntime, create the session, run): ${fixed.plain.wallMs.median.toFixed(0)} / ${fixed.plain.cpuMs.median.toFixed(0)} (session creation ${fixed.plain.createMs.median.toFixed(0)})`,
    );
    console.log(`  sink-lens analyze, cold cache: ${fixed.cold.wallMs.toFixed(0)} / ${fixed.cold.cpuMs.toFixed(0)}`);
    console.log(
      `  sink-lens analyze, cached: ${fixed.cached.wallMs.median.toFixed(0)} / ${fixed.cached.cpuMs.median.toFixed(0)}: ${range(fixed.cachedWallRatio)} wall, ${range(fixed.cachedCpuRatio)} CPU of the plain process (target <= ${TARGETS.cachedStart}x)`,
    );
  }
  const loadAfter = loadAverage();
  console.log(`\nload average after: ${loadAfter}`);
  console.log(
    "! = outside the target. Ratios are per alternating pair: median (min–max). analysis: Analyzer.analyze, with reading the probe outputs and building the report; worker: the extension's whole job for one run as its worker does it (analysis, its report with the attention received that shades the tokens, typed into the one reply and serialized for IPC).",
  );
  writeFileSync(
    join(repoRoot, 'bench', 'results.json'),
    `${JSON.stringify({ machine, loadAverage: { before: loadBefore, after: loadAfter }, targets: TARGETS, torchBlas: blas, rows, long: longRow, fixedCosts: fixed ? { fixture: fixedFixture, ...fixed } : null }, null, 2)}\n`,
  );
  console.log('wrote bench/results.json');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
