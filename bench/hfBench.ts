/**
 * Opening a Hugging Face checkpoint shaped like Qwen2.5-0.5B (24 layers, d 896, 14 heads, 2 KV
 * heads, ffn 4864, vocab 151936, tied; random bf16 weights, ~0.92 GiB, and a tokenizer.json of
 * Qwen's size) until the first analysis, as a user meets it: `sink-lens analyze` in a fresh
 * process, its wall time and CPU time, with the graph built cold (empty cache) and then found in
 * the cache; the process's peak RSS at the moment the onnxruntime session is about to be created
 * (target: below 10 % of the weights' size, since the weights are never read into JS), and after
 * the analysis. The graph build itself is also timed in process. Prints; never asserts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCheckpoint } from '../src/engine/hf/builtCheckpoint';

const repoRoot = resolve(__dirname, '..', '..');
const checkpoint = join(repoRoot, '.cache', 'hf-bench', 'qwen2.5-0.5b-shaped');
const cli = join(repoRoot, 'dist', 'cli.js');
const probe = join(__dirname, 'sessionProbe.js');
const IDS = Array.from({ length: 64 }, (_, i) => (i * 7919) % 151643);
const TARGET_SHARE = 0.1;

interface CliRun {
  wallMs: number;
  cpuMs: number;
  msBeforeSession: number;
  peakRssBeforeSessionMb: number;
  peakRssMb: number;
  loadMs: number;
  runMs: number;
}

function ensureCheckpoint(): void {
  if (existsSync(join(checkpoint, 'tokenizer.json'))) return;
  console.log(`writing the benchmark checkpoint to ${checkpoint} (~1 GB, a minute or two)`);
  execFileSync('/usr/bin/python3', [join(repoRoot, 'tools', 'hf_ref', 'make_checkpoints.py'), '--bench', checkpoint], { stdio: 'inherit' });
}

/** The same checkpoint without its tokenizer (hard links): what the weights alone cost. */
function weightsOnly(): string {
  const folder = join(mkdtempSync(join(tmpdir(), 'sink-lens-hf-bench-')), 'weights-only');
  mkdirSync(folder);
  for (const name of ['config.json', 'model.safetensors']) linkSync(join(checkpoint, name), join(folder, name));
  return folder;
}

function analyze(model: string, cache: string): CliRun {
  const folder = mkdtempSync(join(tmpdir(), 'sink-lens-hf-bench-'));
  const record = join(folder, 'probe.json');
  const report = join(folder, 'report.json');
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--require', probe, cli, 'analyze', '--model', model, '--ids', IDS.join(','), '--device', 'cpu', '--out', report], {
    encoding: 'utf8',
    env: { ...process.env, SINK_LENS_CACHE: cache, SINK_LENS_BENCH_OUT: record },
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`sink-lens analyze failed: ${result.stderr}`);
  const probed = JSON.parse(readFileSync(record, 'utf8'));
  const timings = JSON.parse(readFileSync(report, 'utf8')).runtime.timingsMs;
  rmSync(folder, { recursive: true, force: true });
  return { wallMs, ...probed, loadMs: timings.load, runMs: timings.run };
}

function timed<T>(work: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = work();
  return { ms: performance.now() - started, value };
}

function main(): void {
  ensureCheckpoint();
  const weightsMb = statSync(join(checkpoint, 'model.safetensors')).size / 2 ** 20;
  console.log(`Hugging Face checkpoint benchmark: ${checkpoint}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; weights ${weightsMb.toFixed(0)} MiB bf16\n`);

  const buildCache = mkdtempSync(join(tmpdir(), 'sink-lens-hf-bench-cache-'));
  const cold = timed(() => buildCheckpoint(checkpoint, null, buildCache));
  const cached = timed(() => buildCheckpoint(checkpoint, null, buildCache));
  console.log(`graph build, in process: cold ${cold.ms.toFixed(0)} ms, found in the cache ${cached.ms.toFixed(0)} ms (${statSync(cold.value.onnx).size} bytes of ONNX)`);

  const rows: [string, CliRun][] = [];
  const cache = mkdtempSync(join(tmpdir(), 'sink-lens-hf-bench-cache-'));
  rows.push(['with tokenizer.json, first open (cold cache)', analyze(checkpoint, cache)]);
  rows.push(['with tokenizer.json, second open (graph cached)', analyze(checkpoint, cache)]);
  const bare = weightsOnly();
  rows.push(['weights only, first open', analyze(bare, cache)]);
  rows.push(['weights only, second open', analyze(bare, cache)]);
  console.log('\n| `sink-lens analyze --ids` (64 tokens) | wall s | CPU s | s to session | peak RSS before session MB (share of weights) | peak RSS at exit MB | load s (report) | run ms (report) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [what, run] of rows) {
    const share = run.peakRssBeforeSessionMb / weightsMb;
    console.log(
      `| ${what} | ${(run.wallMs / 1000).toFixed(1)} | ${(run.cpuMs / 1000).toFixed(1)} | ${(run.msBeforeSession / 1000).toFixed(2)} | ${run.peakRssBeforeSessionMb.toFixed(0)} (${(share * 100).toFixed(1)} %${share < TARGET_SHARE ? '' : ', over the 10 % target'}) | ${run.peakRssMb.toFixed(0)} | ${(run.loadMs / 1000).toFixed(1)} | ${run.runMs.toFixed(0)} |`,
    );
  }
  console.log("\n(the tokenizer rows include the tokenizers library's tables for a 151k-token vocabulary: a fixed cost, not the weights')");
  rmSync(buildCache, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
}

main();
