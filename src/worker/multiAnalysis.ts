/**
 * The multi-run analyses of the paper in the worker: one 'multiAnalysis' request runs one engine
 * function (src/engine/analyses) on the pooled analyzer and answers with its JSON document.
 */
import type { AnalyzeOptions } from '../engine/api';
import type { Analyzer } from '../engine/analyzer';
import { analyzeBatch } from '../engine/analyses/batchAnalysis';
import { compareBos } from '../engine/analyses/bosComparison';
import { substituteFirstToken } from '../engine/analyses/firstTokenSubstitution';
import { ablateHeads, checkHeads, sweepLayer } from '../engine/analyses/headAblation';
import { SinkLensError } from '../engine/errors';
import type { MultiAnalysisRequest, MultiAnalysisResult } from '../protocol/channels/worker';

export async function runMultiAnalysis(analyzer: Analyzer, request: MultiAnalysisRequest, signal: AbortSignal, onProgress: (done: number, total: number) => void): Promise<MultiAnalysisResult> {
  const inputs = request.prompts;
  if (inputs.length === 0) throw new SinkLensError('usage', 'no-prompts', 'no prompts to analyse');
  const { addBos, epsilon, maxTokens, truncate } = request.options;
  const options: AnalyzeOptions = { addBos, epsilon, maxTokens, truncate, signal };
  const model = analyzer.model;
  switch (request.kind) {
    case 'compareBos': {
      const first = request.prompts[0];
      if (first.kind !== 'text') throw new SinkLensError('usage', 'bad-prompt', 'Compare Without BOS needs a text prompt');
      const { addBos: _ignored, ...rest } = options;
      return { kind: 'compareBos', model, document: await compareBos(analyzer, first.text, first.source, rest) };
    }
    case 'substitute':
      return { kind: 'substitute', model, document: await substituteFirstToken(analyzer, inputs[0], options) };
    case 'sweepLayer': {
      const layer = request.layer ?? 0;
      return { kind: 'sweepLayer', model, layer, document: await sweepLayer(analyzer, inputs, layer, options) };
    }
    case 'ablateHeads': {
      // The heads the user selected in the sink grid, removed together: one variant against the baseline.
      const heads = checkHeads(request.heads ?? [], model.layers, model.heads);
      return { kind: 'ablateHeads', model, heads, document: await ablateHeads(analyzer, inputs, [heads], options) };
    }
    case 'batch':
      return { kind: 'batch', model, document: await analyzeBatch(analyzer, inputs, { ...options, positions: request.positions, onProgress }) };
  }
}
