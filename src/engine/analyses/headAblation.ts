/**
 * Head ablation (docs/ANALYSES.md, headAblation): rerun with chosen heads contributing nothing and
 * compare P0's norm ratio, the cross-input cosine of P0's hidden state and of the layer-0/1 MLP
 * activation at P0 ("MLP clustering"), and the sink rate against the unablated run. Every variant
 * of a prompt runs in ONE batched pass of the same session (the head mask is a graph input), so a
 * sweep over a whole layer costs about one run per prompt.
 */
import type { AnalyzeOptions, PromptInput } from '../api';
import type { Analyzer } from '../analyzer';
import { SinkLensError, throwIfAborted } from '../errors';
import { ABLATION_SCHEMA, headLabel, type AblationDocument, type AblationVariant, type HeadRef } from '../../protocol/analyses';
import { meanOrNull, meanPairwiseCosine, positionVector } from './vectors';

/** Parses `0:3,0:5` into heads, checking them against the model. */
export function parseHeadList(text: string, layers: number, heads: number): HeadRef[] {
  return checkHeads(
    text.split(',').map((part) => {
      const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
      if (!match) throw new SinkLensError('usage', 'bad-heads', `'${part}' is not layer:head (e.g. 0:3)`);
      return { layer: Number(match[1]), head: Number(match[2]) };
    }),
    layers,
    heads,
  );
}

/**
 * Heads to ablate together, checked against the model (ablateHeads itself would silently ignore a
 * head that does not exist, and report an "ablation" that removed nothing). At least one head;
 * repeats are dropped, the order kept.
 */
export function checkHeads(refs: HeadRef[], layers: number, heads: number): HeadRef[] {
  if (refs.length === 0) throw new SinkLensError('usage', 'bad-heads', 'no heads to ablate: give at least one layer:head');
  const seen = new Set<string>();
  return refs.filter((ref) => {
    if (!Number.isInteger(ref.layer) || !Number.isInteger(ref.head) || ref.layer < 0 || ref.head < 0 || ref.layer >= layers || ref.head >= heads) {
      throw new SinkLensError('usage', 'bad-heads', `head ${ref.layer}:${ref.head} does not exist; the model has layers 0-${layers - 1} with heads 0-${heads - 1}`);
    }
    const key = `${ref.layer}:${ref.head}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Ablates each listed head set (one variant each) on every prompt. */
export async function ablateHeads(analyzer: Analyzer, inputs: PromptInput[], headSets: HeadRef[][], options: AnalyzeOptions): Promise<AblationDocument> {
  const { layers, heads } = analyzer.model;
  const variants = [[], ...headSets];
  const masks = variants.map((set) => Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => (set.some((ref) => ref.layer === l && ref.head === h) ? 0 : 1))));
  // [variant][prompt] measurements
  const ratios: (number | null)[][][] = variants.map(() => []);
  const rates: { all: number; fromLayer2: number | null }[][] = variants.map(() => []);
  const p0: Float32Array[][][] = variants.map(() => []);
  const mlpP0: (Float32Array | null)[][][] = variants.map(() => []);
  let depths: number[] = [];
  for (const input of inputs) {
    throwIfAborted(options.signal);
    const prompt = await analyzer.tokenize(input, options);
    const ids = prompt.tokens.map((token) => token.id);
    const probes = await analyzer.probe({ rows: variants.map(() => ids), headMask: masks });
    variants.forEach((_, v) => {
      const report = analyzer.report(probes, v, input, prompt, options);
      depths = report.residual.depths;
      ratios[v].push(report.residual.p0NormRatio);
      rates[v].push(report.attention.sinkRate);
      p0[v].push(probes.rows[v].hidden.map((block) => positionVector(block, 0, probes.hiddenSize)));
      mlpP0[v].push(probes.rows[v].mlpHidden.slice(0, 2)); // prefix length 1: each block is P0's vector
    });
  }
  const summarize = (v: number): AblationVariant => ({
    label: headLabel(variants[v]),
    heads: variants[v],
    p0NormRatio: depths.map((_, d) => meanOrNull(ratios[v].map((perPrompt) => perPrompt[d]))),
    sinkRate: { all: meanOrNull(rates[v].map((rate) => rate.all)), fromLayer2: meanOrNull(rates[v].map((rate) => rate.fromLayer2)) },
    crossInputCosineP0: depths.map((_, d) => meanPairwiseCosine(p0[v].map((perPrompt) => perPrompt[d]))),
    mlpCosineP0: [0, 1].filter((l) => l < layers).map((l) => (mlpP0[v][0][l] ? meanPairwiseCosine(mlpP0[v].map((perPrompt) => perPrompt[l]!)) : null)),
  });
  return { schema: ABLATION_SCHEMA, prompts: inputs.length, depths, baseline: summarize(0), variants: variants.slice(1).map((_, i) => summarize(i + 1)) };
}

/** "Ablate each head of layer L": one variant per head. */
export function sweepLayer(analyzer: Analyzer, inputs: PromptInput[], layer: number, options: AnalyzeOptions): Promise<AblationDocument> {
  if (!Number.isInteger(layer) || layer < 0 || layer >= analyzer.model.layers) {
    throw new SinkLensError('usage', 'bad-layer', `layer ${layer} does not exist; the model has layers 0-${analyzer.model.layers - 1}`);
  }
  const sets = Array.from({ length: analyzer.model.heads }, (_, head) => [{ layer, head }]);
  return ablateHeads(analyzer, inputs, sets, options);
}
