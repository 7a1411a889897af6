/**
 * `npm run soak`: consecutive analyses in one process, alternating models and prompt lengths,
 * through the worker's AnalyzerPool. Prints one JSON line; exits 1 when RSS grows 10 % or more.
 */
import { join } from 'node:path';
import { onnxExports, sharedModelsMissing, stories260k } from '../support/paths';
import { soak } from '../support/soakRun';

async function main(): Promise<number> {
  const missing = sharedModelsMissing();
  if (missing) {
    console.error(`soak needs the shared models: ${missing}`);
    return 2;
  }
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 200;
  const models = [stories260k, join(onnxExports, 'tiny-random-gpt2-fp32', 'past.onnx'), join(onnxExports, 'tiny-qwen35-cuda')];
  // Warm-up: two full cycles over the models (five runs each), so every kernel and allocation pattern has been seen.
  const result = await soak(models, runs, 2 * 5 * models.length);
  console.log(JSON.stringify(result));
  console.error(`${result.runs} analyses: RSS ${result.warmRssMb.toFixed(1)} MB after warm-up, ${result.finalRssMb.toFixed(1)} MB at the end (${(result.growth * 100).toFixed(1)} %; target < 10 %)`);
  return result.growth < 0.1 ? 0 : 1;
}

main().then((code) => process.exit(code));
