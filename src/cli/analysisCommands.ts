/** The multi-run analyses as CLI commands: each returns its JSON document and a terminal summary. */
import type { AnalyzeOptions } from '../engine/api';
import { Analyzer, bundledModelPath } from '../engine/analyzer';
import { analyzeBatch } from '../engine/analyses/batchAnalysis';
import { compareBos } from '../engine/analyses/bosComparison';
import { substituteFirstToken } from '../engine/analyses/firstTokenSubstitution';
import { ablateHeads, parseHeadList, sweepLayer } from '../engine/analyses/headAblation';
import { CommonOptions, manyPrompts, optionalInteger, parseCommand, singlePrompt, usage } from './analyzeArgs';
import { formatAblation, formatBatch, formatBosComparison, formatSubstitution } from './analysisSummaries';

type CommandResult = { document: unknown; summary: string };

async function withAnalyzer<T>(common: CommonOptions, use: (analyzer: Analyzer, options: AnalyzeOptions) => Promise<T>): Promise<T> {
  const analyzer = await Analyzer.open(common.model ?? bundledModelPath(), { device: common.device });
  try {
    const options: AnalyzeOptions = { addBos: common.addBos ?? analyzer.addsBosByDefault, bosId: common.bosId, epsilon: common.epsilon, maxTokens: common.maxTokens, truncate: common.truncate };
    return await use(analyzer, options);
  } finally {
    await analyzer.dispose();
  }
}

export const ANALYSIS_COMMANDS: Record<string, (argv: string[]) => Promise<CommandResult>> = {
  'compare-bos': async (argv) => {
    const { values, common } = parseCommand(argv);
    const input = singlePrompt(values, false);
    if (input.kind !== 'text') throw usage('compare-bos needs text');
    const document = await withAnalyzer(common, (analyzer, options) => compareBos(analyzer, input.text, input.source, options));
    return { document, summary: formatBosComparison(document) };
  },

  batch: async (argv) => {
    const { values, common } = parseCommand(argv, { positions: { type: 'string' }, 'include-reports': { type: 'boolean' } });
    if (values.prompts === undefined) throw usage('batch needs --prompts FILE');
    const inputs = manyPrompts(values);
    const positions = optionalInteger(values.positions, '--positions', 1) ?? 8;
    const document = await withAnalyzer(common, (analyzer, options) => analyzeBatch(analyzer, inputs, { ...options, positions, includeReports: Boolean(values['include-reports']) }));
    return { document, summary: formatBatch(document) };
  },

  ablate: async (argv) => {
    const { values, common } = parseCommand(argv, { ablate: { type: 'string' }, 'sweep-layer': { type: 'string' } });
    if ((values.ablate === undefined) === (values['sweep-layer'] === undefined)) throw usage('give one of --ablate 0:3,0:5 or --sweep-layer L');
    const inputs = manyPrompts(values);
    const document = await withAnalyzer(common, (analyzer, options) => {
      if (values['sweep-layer'] !== undefined) return sweepLayer(analyzer, inputs, optionalInteger(values['sweep-layer'], '--sweep-layer', 0)!, options);
      return ablateHeads(analyzer, inputs, [parseHeadList(String(values.ablate), analyzer.model.layers, analyzer.model.heads)], options);
    });
    return { document, summary: formatAblation(document) };
  },

  substitute: async (argv) => {
    const { values, common } = parseCommand(argv);
    const input = singlePrompt(values);
    const document = await withAnalyzer(common, (analyzer, options) => substituteFirstToken(analyzer, input, options));
    return { document, summary: formatSubstitution(document) };
  },
};
