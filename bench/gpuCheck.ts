/**
 * bench/gpu-check.sh: on a machine with a GPU, analyse the same model and prompt on CUDA and on
 * the CPU, and print the largest difference of every report quantity and the speed ratio.
 * Exits 1 when CUDA could not start (and says why).
 */
import { Analyzer } from '../src/engine/analyzer';
import type { SinkReport } from '../src/protocol/report';

const QUANTITIES: [string, (report: SinkReport) => unknown][] = [
  ['residual.norms', (r) => r.residual.norms],
  ['residual.p0NormRatio', (r) => r.residual.p0NormRatio],
  ['residual.p0Separation', (r) => r.residual.p0Separation],
  ['attention.firstTokenAttention', (r) => r.attention.firstTokenAttention],
  ['attention.sinkScore', (r) => r.attention.sinkScore],
  ['attention.received', (r) => r.attention.received],
  ['massive activations (layer medians)', (r) => r.massiveActivations.map((entry) => entry.median)],
  ['attention.sinkRate', (r) => [r.attention.sinkRate.all, r.attention.sinkRate.fromLayer2]],
  ['mlp norms', (r) => r.mlp.layers.map((layer) => layer.norms)],
  ['massive activations (top values)', (r) => r.massiveActivations.map((entry) => entry.top.map((top) => top.value))],
];

const flat = (value: unknown): number[] => (Array.isArray(value) ? value.flatMap(flat) : typeof value === 'number' ? [value] : []);

async function timeRuns(analyzer: Analyzer, ids: number[], runs: number): Promise<{ report: SinkReport; medianMs: number }> {
  const input = { kind: 'ids' as const, ids, source: 'gpu-check' };
  let report = await analyzer.analyze(input, { addBos: false });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    report = await analyzer.analyze(input, { addBos: false });
    times.push(performance.now() - started);
  }
  return { report, medianMs: times.sort((a, b) => a - b)[times.length >> 1] };
}

async function main(): Promise<number> {
  const [model, tokensArg = '2048'] = process.argv.slice(2);
  if (!model) {
    console.error('usage: gpu-check MODEL [TOKENS]');
    return 2;
  }
  const tokens = Number(tokensArg);
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919) % 1000);
  const cuda = await Analyzer.open(model, { device: 'cuda' });
  if (cuda.executionProvider !== 'cuda') {
    console.error(`CUDA did not start: ${cuda.fallbackReason}`);
    await cuda.dispose();
    return 1;
  }
  const onGpu = await timeRuns(cuda, ids, 5);
  await cuda.dispose();
  const cpu = await Analyzer.open(model, { device: 'cpu' });
  const onCpu = await timeRuns(cpu, ids, 3);
  await cpu.dispose();
  console.log(`model ${model}, T = ${tokens}: CUDA ${onGpu.medianMs.toFixed(1)} ms, CPU ${onCpu.medianMs.toFixed(1)} ms, speed-up ${(onCpu.medianMs / onGpu.medianMs).toFixed(1)}x`);
  console.log('quantity                            max |CUDA - CPU|   max |CPU|');
  for (const [name, pick] of QUANTITIES) {
    const a = flat(pick(onGpu.report));
    const b = flat(pick(onCpu.report));
    const diff = Math.max(0, ...a.map((value, i) => Math.abs(value - b[i])));
    const scale = Math.max(0, ...b.map(Math.abs));
    console.log(`${name.padEnd(36)} ${diff.toExponential(2).padStart(14)} ${scale.toExponential(2).padStart(11)}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
