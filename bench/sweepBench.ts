/**
 * Part of `npm run bench`: an ablation sweep over every head of one layer (one batched pass of the
 * head-masked model) against a single analysis of the same prompt, on the 4-layer fixture.
 * Target (issue #5): the sweep takes less than 3x a single run.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Analyzer } from '../src/engine/analyzer';
import { sweepLayer } from '../src/engine/analyses/headAblation';

const model = join(resolve(__dirname, '..', '..'), '.cache', 'fixtures', 'llama-bench-4');
const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function main(): Promise<void> {
  if (!existsSync(join(model, 'model.onnx'))) {
    console.log('sweep bench: the llama-bench-4 fixture is missing (run the engine bench first)');
    return;
  }
  const analyzer = await Analyzer.open(model, { device: 'cpu' });
  console.log(`\nHead sweep over layer 0 of llama-bench-4 (${analyzer.model.heads} heads, one batch) vs one analysis (target < 3x)`);
  for (const tokens of [128, 512]) {
    const input = { kind: 'ids' as const, ids: Array.from({ length: tokens }, (_, i) => (i * 7919) % 1000), source: 'bench' };
    const single: number[] = [];
    const sweep: number[] = [];
    await analyzer.analyze(input, { addBos: false });
    await sweepLayer(analyzer, [input], 0, { addBos: false });
    for (let i = 0; i < 5; i++) {
      let started = performance.now();
      await analyzer.analyze(input, { addBos: false });
      single.push(performance.now() - started);
      started = performance.now();
      await sweepLayer(analyzer, [input], 0, { addBos: false });
      sweep.push(performance.now() - started);
    }
    const ratio = medianOf(sweep) / medianOf(single);
    console.log(`  T = ${String(tokens).padStart(4)}: single ${medianOf(single).toFixed(1)} ms, sweep ${medianOf(sweep).toFixed(1)} ms, ${ratio.toFixed(2)}x${ratio < 3 ? '' : '  (over the target)'}`);
  }
  await analyzer.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
