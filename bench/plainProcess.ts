/**
 * The fixed-cost baseline (bench/fixedCosts.ts): a process that loads onnxruntime, creates a
 * session of the unmodified model as a user would, and runs the same tiny prompt as the CLI row.
 * Prints the session creation time; its whole wall and CPU time come from usageOnExit.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

async function main(model: string, ids: number[]): Promise<void> {
  const started = performance.now();
  const session = await ort.InferenceSession.create(join(model, 'model.onnx'), { graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
  const createMs = performance.now() - started;
  await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) }, ['logits']);
  process.stdout.write(`${JSON.stringify({ createMs })}\n`);
}

main(process.argv[2], process.argv[3].split(',').map(Number)).catch((error) => {
  console.error(error);
  process.exit(1);
});
