/**
 * How the benchmark measures a job against the baseline (bench/benchJobs.ts).
 *
 * Time: both are open in one process and their runs alternate in pairs (the order flips every
 * pair, so that drift hits both), each run timed in CPU time (process.cpuUsage: this process's
 * threads, whatever else the shared machine runs) and in wall time. The ratio of each pair is
 * kept: the median and the spread (min–max and the interquartile range) of the per-pair ratios are
 * reported, not a ratio of medians.
 *
 * Memory: each job opens and does exactly one run alone in a fresh child process (no warm-up, no
 * second run, which would only add allocator residue), whose peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchIds, BenchJob, JOBS } from './benchJobs';

export interface Spread {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
}

export interface PairedTimes {
  pairs: number;
  baseCpuMs: Spread;
  jobCpuMs: Spread;
  baseWallMs: Spread;
  jobWallMs: Spread;
  /** Per-pair job / base ratios. */
  cpuRatio: Spread;
  wallRatio: Spread;
}

export interface OneShot {
  openMs: number;
  runMs: number;
  runCpuMs: number;
  peakRssMb: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const low = Math.floor(position);
    return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (position - low);
  };
  return { median: at(0.5), min: sorted[0], max: sorted[sorted.length - 1], q1: at(0.25), q3: at(0.75) };
}

async function timed(run: () => Promise<void>): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

/** `pairs` alternating runs of `base` and `job` on the same T ids, after one warm-up run of each. */
export async function alternate(model: string, base: BenchJob, job: BenchJob, tokens: number, pairs: number): Promise<PairedTimes> {
  const ids = benchIds(tokens);
  const opened = [await base.open(model), await job.open(model)];
  try {
    for (const each of opened) await each.run(ids);
    const times: { cpuMs: number; wallMs: number }[][] = [[], []];
    for (let pair = 0; pair < pairs; pair++) {
      const order = pair % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) times[which].push(await timed(() => opened[which].run(ids)));
    }
    const ratio = (key: 'cpuMs' | 'wallMs') => times[1].map((time, i) => time[key] / times[0][i][key]);
    return {
      pairs,
      baseCpuMs: spread(times[0].map((time) => time.cpuMs)),
      jobCpuMs: spread(times[1].map((time) => time.cpuMs)),
      baseWallMs: spread(times[0].map((time) => time.wallMs)),
      jobWallMs: spread(times[1].map((time) => time.wallMs)),
      cpuRatio: spread(ratio('cpuMs')),
      wallRatio: spread(ratio('wallMs')),
    };
  } finally {
    for (const each of opened) await each.close();
  }
}

/** Child side of oneShot: open, one run, report. */
export async function oneShotChild(jobName: string, model: string, tokens: number): Promise<OneShot> {
  const job = JOBS[jobName];
  if (!job) throw new Error(`no bench job '${jobName}'`);
  const ids = benchIds(tokens);
  const started = performance.now();
  const opened = await job.open(model);
  const openMs = performance.now() - started;
  const run = await timed(() => opened.run(ids));
  return { openMs, runMs: run.wallMs, runCpuMs: run.cpuMs, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** A fresh process that opens `job` and does exactly one run: its peak RSS is that run's. */
export function oneShot(job: BenchJob, model: string, tokens: number, env: NodeJS.ProcessEnv = process.env): OneShot {
  const result = spawnSync(process.execPath, [join(__dirname, 'engineBench.js'), '--one-shot', job.name, model, String(tokens)], { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`one-shot ${job.name} T=${tokens} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as OneShot;
}
