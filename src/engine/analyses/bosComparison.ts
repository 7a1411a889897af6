/**
 * The same text with and without the BOS token, side by side (the paper's Table 1a and Figure 3):
 * without BOS, position 0 is the first real token; if the sink re-forms there, it is the P0 circuit.
 */
import type { AnalyzeOptions } from '../api';
import type { Analyzer } from '../analyzer';
import { SinkLensError } from '../errors';
import { BOS_COMPARISON_SCHEMA, type BosComparison } from '../../protocol/analyses';

export async function compareBos(analyzer: Analyzer, text: string, source: string, options: Omit<AnalyzeOptions, 'addBos'>): Promise<BosComparison> {
  if (analyzer.model.bosTokenId === null && options.bosId === undefined) {
    throw new SinkLensError('usage', 'no-bos', 'the model declares no BOS token, so there is nothing to compare; give one with --bos-id');
  }
  const input = { kind: 'text' as const, text, source };
  const withBos = await analyzer.analyze(input, { ...options, addBos: true });
  const withoutBos = await analyzer.analyze(input, { ...options, addBos: false });
  return {
    schema: BOS_COMPARISON_SCHEMA,
    withBos,
    withoutBos,
    sinkRate: { withBos: withBos.attention.sinkRate, withoutBos: withoutBos.attention.sinkRate },
  };
}
