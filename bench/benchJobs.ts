/**
 * What one job is, for the benchmark: something opened once for a model, then run on prompts of T
 * token ids. Every job is measured the same way against the same baseline (bench/measure.ts), so a
 * new row is a new entry here.
 */
import { join } from 'node:path';
import { serialize } from 'node:v8';
import * as ort from 'onnxruntime-node';
import { Analyzer } from '../src/engine/analyzer';
import { AnalysisService } from '../src/worker/analysisService';

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

/**
 * The extension's whole job for one run, as its worker does it: the worker's analyze request
 * (AnalysisService: the analysis, whose report carries the attention received that shades the
 * tokens and the hovers, typed for the one reply), its progress and its reply serialized as the
 * worker's IPC does ('advanced', v8). Not in it: the host's and the webview's side of the messages.
 */
export const workerJob: BenchJob = {
  name: 'worker',
  label: "the extension's whole job (worker: analysis + shading)",
  async open(model) {
    const analyzer = await Analyzer.open(model, { device: 'cpu' });
    const service = new AnalysisService({ get: async () => analyzer, disposeAll: () => analyzer.dispose() });
    const analyze = service.handlers().analyze;
    let runs = 0;
    return {
      run: async (ids) => {
        const request = {
          runId: `bench-${runs++}`,
          model: { modelPath: model, device: 'cpu' as const },
          prompt: { kind: 'ids' as const, ids, source: 'bench' },
          options: { addBos: false, epsilon: 0.3, maxTokens: 0 },
        };
        serialize(await analyze(request, { signal: new AbortController().signal, progress: (part) => serialize(part) }));
      },
      close: () => service.dispose(),
    };
  },
};

export const JOBS: Record<string, BenchJob> = { [plainPass.name]: plainPass, [analysis.name]: analysis, [workerJob.name]: workerJob };

/** The bench's prompt: T ids spread over the fixtures' 1024-token vocabulary. */
export function benchIds(tokens: number): number[] {
  return Array.from({ length: tokens }, (_, i) => (i * 7919) % 1000);
}
