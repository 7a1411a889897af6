/**
 * The CLI's fixed costs (issue #13 item 5): `sink-lens analyze` on a 3-token prompt, as a whole
 * process (start, model open, one tiny run, report written), cold (an empty cache: parse, probe,
 * write the probed and optimized copies, warm-up) and cached (the same model again, model/openCache.ts),
 * against a plain process that loads onnxruntime, creates a session of the unmodified model and
 * runs the same 3 tokens. Cached and plain runs alternate; each process reports its own wall and
 * CPU time (bench/usageOnExit.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spread, Spread } from './measure';

const IDS = '1,2,3';
const repoRoot = resolve(__dirname, '..', '..');

interface ProcessUsage {
  wallMs: number;
  cpuMs: number;
}

export interface FixedCosts {
  plain: { wallMs: Spread; cpuMs: Spread; createMs: Spread };
  cold: ProcessUsage;
  cached: { wallMs: Spread; cpuMs: Spread };
  /** Per-pair cached / plain ratios. */
  cachedWallRatio: Spread;
  cachedCpuRatio: Spread;
}

function measured(args: string[], env: NodeJS.ProcessEnv): { usage: ProcessUsage; stdout: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'sink-lens-fixed-'));
  const usageFile = join(scratch, 'usage.json');
  try {
    const result = spawnSync(process.execPath, ['--require', join(__dirname, 'usageOnExit.js'), ...args], { encoding: 'utf8', env: { ...env, SINK_LENS_BENCH_USAGE: usageFile } });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
    return { usage: JSON.parse(readFileSync(usageFile, 'utf8')) as ProcessUsage, stdout: result.stdout };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function fixedCosts(model: string, repeats: number): FixedCosts {
  const cache = mkdtempSync(join(tmpdir(), 'sink-lens-bench-cache-'));
  const env = { ...process.env, SINK_LENS_CACHE: cache };
  const out = join(cache, 'report.json');
  const cli = [join(repoRoot, 'dist', 'cli.js'), 'analyze', '--model', model, '--ids', IDS, '--no-bos', '--device', 'cpu', '--out', out];
  const plainArgs = [join(__dirname, 'plainProcess.js'), model, IDS];
  try {
    measured(plainArgs, env); // the model file in the page cache for both, as for a user's second run
    const cold = measured(cli, env).usage;
    const plain: (ProcessUsage & { createMs: number })[] = [];
    const cached: ProcessUsage[] = [];
    for (let i = 0; i < repeats; i++) {
      const order = i % 2 === 0 ? ['plain', 'cached'] : ['cached', 'plain'];
      for (const which of order) {
        if (which === 'cached') cached.push(measured(cli, env).usage);
        else {
          const run = measured(plainArgs, env);
          plain.push({ ...run.usage, createMs: (JSON.parse(run.stdout.trim()) as { createMs: number }).createMs });
        }
      }
    }
    return {
      plain: { wallMs: spread(plain.map((p) => p.wallMs)), cpuMs: spread(plain.map((p) => p.cpuMs)), createMs: spread(plain.map((p) => p.createMs)) },
      cold,
      cached: { wallMs: spread(cached.map((c) => c.wallMs)), cpuMs: spread(cached.map((c) => c.cpuMs)) },
      cachedWallRatio: spread(cached.map((c, i) => c.wallMs / plain[i].wallMs)),
      cachedCpuRatio: spread(cached.map((c, i) => c.cpuMs / plain[i].cpuMs)),
    };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
