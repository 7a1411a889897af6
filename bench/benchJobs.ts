/**
 * What one job is, for the benchmark: something opened once for a model, then run on prompts of T
 * token ids. Every job is measured the same way against the same baseline (bench/measure.ts), so a
 * new row is a new entry here: e.g. the extension's whole job as its worker runs it (the analysis
 * and the token shading) once the worker takes the shading from the same run.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../src/engine/analyzer';

export interface OpenedJob {
  run(ids: number[]): Promise<void>;
  close(): Promise<void>;
}

export interface BenchJob {
  /** Its name on the command line of a one-shot child (bench/measure.ts). */
  name: string;
  /** What it is, in the printed table. */
  label: string;
  open(model: string): Promise<OpenedJob>;
}

/** The baseline: the unmodified model in onnxruntime, its logits only, the session options a user would pick. */
export const plainPass: BenchJob = {
  name: 'plain',
  label: 'plain forward pass (logits only)',
  async open(model) {
    const session = await ort.InferenceSession.create(join(model, 'model.onnx'), { graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
    return {
      run: async (ids) => {
        await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) }, ['logits']);
      },
      close: () => session.release(),
    };
  },
};

/** The analysis as the CLI runs it: Analyzer.analyze (probed graph, outputs read back, report built). */
export const analysis: BenchJob = {
  name: 'analysis',
  label: 'analysis (Analyzer.analyze)',
  async open(model) {
    const analyzer = await Analyzer.open(model, { device: 'cpu' });
    return {
      run: async (ids) => {
        await analyzer.analyze({ kind: 'ids', ids, source: 'bench' }, { addBos: false });
      },
      close: () => analyzer.dispose(),
    };
  },
};

export const JOBS: Record<string, BenchJob> = { [plainPass.name]: plainPass, [analysis.name]: analysis };

/** The bench's prompt: T ids spread over the fixtures' 1024-token vocabulary. */
export function benchIds(tokens: number): number[] {
  return Array.from({ length: tokens }, (_, i) => (i * 7919) % 1000);
}
