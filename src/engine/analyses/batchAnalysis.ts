/**
 * Many prompts at once (`sink-lens/batch@1`, docs/BATCH.md): sink rates thresholded per prompt and
 * averaged, cross-input cosine of the hidden states at positions 0…k-1 per depth (the paper's
 * Figure 4: P0's state becomes the same vector for every input), P0 separation, the mean P0 hidden
 * state with its massive activations, and the MLP activations of layers 0 and 1 at P0 (Figure 5).
 */
import type { AnalyzeOptions, PromptInput } from '../api';
import type { Analyzer } from '../analyzer';
import { throwIfAborted } from '../errors';
import { massiveActivation } from '../metrics';
import { BATCH_SCHEMA, type BatchDocument } from '../../protocol/analyses';
import type { SinkReport } from '../../protocol/report';
import { mean, meanOrNull, meanPairwiseCosine, meanVector, positionVector, topDims } from './vectors';

export interface BatchOptions extends AnalyzeOptions {
  /** Positions 0…positions-1 compared across prompts (default 8). */
  positions?: number;
  includeReports?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export async function analyzeBatch(analyzer: Analyzer, inputs: PromptInput[], options: BatchOptions): Promise<BatchDocument> {
  const positions = options.positions ?? 8;
  const reports: SinkReport[] = [];
  const hidden: Float32Array[][] = [];
  const mlpHidden: (Float32Array | null)[][] = [];
  for (const [index, input] of inputs.entries()) {
    throwIfAborted(options.signal);
    const prompt = await analyzer.tokenize(input, options);
    const probes = await analyzer.probe({ rows: [prompt.tokens.map((token) => token.id)], prefixLength: positions });
    reports.push(analyzer.report(probes, 0, input, prompt, options));
    hidden.push(probes.rows[0].hidden);
    mlpHidden.push(probes.rows[0].mlpHidden);
    options.onProgress?.(index + 1, inputs.length);
  }
  const model = analyzer.model;
  const width = model.hiddenSize;
  const depths = reports[0].residual.depths;
  const shared = Math.min(positions, ...reports.map((report) => report.tokens.length));
  const positionList = Array.from({ length: shared }, (_, p) => p);
  const p0States = depths.map((_, d) => hidden.map((perDepth) => positionVector(perDepth[d], 0, width)));
  // The mean state's reference magnitude: the prompts' own layer medians, averaged.
  const meanP0Hidden = p0States.map((vectors, d) => massiveActivation(meanVector(vectors), depths[d], 0, mean(reports.map((report) => report.massiveActivations[d].median))));
  const firstMassive = meanP0Hidden.find((entry) => entry.massive);
  const first = reports[0];
  return {
    schema: BATCH_SCHEMA,
    model,
    runtime: { executionProvider: first.runtime.executionProvider, fallbackReason: first.runtime.fallbackReason, onnxruntime: first.runtime.onnxruntime },
    epsilon: first.attention.sinkRate.epsilon,
    prompts: reports.map((report) => ({
      text: report.prompt.text,
      source: report.prompt.source,
      tokens: report.tokens.length,
      sinkRate: { all: report.attention.sinkRate.all, fromLayer2: report.attention.sinkRate.fromLayer2 },
      p0NormRatio: report.residual.p0NormRatio,
      circuit: report.circuit,
    })),
    sinkRate: {
      all: mean(reports.map((report) => report.attention.sinkRate.all)),
      fromLayer2: meanOrNull(reports.map((report) => report.attention.sinkRate.fromLayer2)),
    },
    crossInputCosine: {
      depths,
      positions: positionList,
      values: depths.map((_, d) => positionList.map((p) => meanPairwiseCosine(hidden.map((perDepth) => positionVector(perDepth[d], p, width))))),
    },
    p0Separation: depths.map((_, d) => meanOrNull(reports.map((report) => report.residual.p0Separation[d]))),
    meanP0Hidden,
    firstMassiveDepth: firstMassive ? firstMassive.depth : null,
    mlp: [0, 1]
      .filter((layer) => layer < model.layers && mlpHidden[0][layer] !== null)
      .map((layer) => {
        const intermediate = mlpHidden[0][layer]!.length / Math.min(positions, reports[0].tokens.length);
        const atP0 = mlpHidden.map((perLayer) => positionVector(perLayer[layer]!, 0, intermediate));
        return { layer, crossInputCosineP0: meanPairwiseCosine(atP0), meanTopDimsP0: topDims(meanVector(atP0), 5) };
      }),
    ...(options.includeReports ? { reports } : {}),
  };
}
