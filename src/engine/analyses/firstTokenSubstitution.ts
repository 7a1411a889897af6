/**
 * First-token substitution: the same prompt with its first token replaced (a random token, the
 * next token repeated, punctuation). If the sink stays, it follows position 0, as the paper's P0
 * Sink Circuit predicts ("without relying on any semantic information"); if it vanishes, it
 * follows that particular token (e.g. a BOS feature). All variants run as one batch.
 */
import type { AnalyzeOptions, PromptInput } from '../api';
import type { Analyzer } from '../analyzer';
import { hasSink, keepsSink, SUBSTITUTION_SCHEMA, type SubstitutionDocument, type SubstitutionVariant } from '../../protocol/analyses';
import { DEFAULT_EPSILON } from '../../protocol/measures';
import type { SinkReport } from '../../protocol/report';
import { mean } from './vectors';

const fmt = (value: number) => value.toFixed(2);

export async function substituteFirstToken(analyzer: Analyzer, input: PromptInput, options: AnalyzeOptions): Promise<SubstitutionDocument> {
  const prompt = await analyzer.tokenize(input, options);
  const ids = prompt.tokens.map((token) => token.id);
  const candidates = await replacementCandidates(analyzer, ids);
  const rows = candidates.map((candidate) => [candidate.id, ...ids.slice(1)]);
  const probes = await analyzer.probe({ rows });
  const reports: SinkReport[] = rows.map((_, r) => analyzer.report(probes, r, input, prompt, options));
  const variants = candidates.map((candidate, r): SubstitutionVariant => {
    const report = reports[r];
    const meanSinkScore = report.attention.sinkScore.map((heads) => mean(heads));
    return {
      label: candidate.label,
      firstTokenId: candidate.id,
      firstTokenText: analyzer.tokenText(candidate.id),
      sinkRate: report.attention.sinkRate,
      meanSinkScore,
      sinkStrength: mean(meanSinkScore.slice(meanSinkScore.length > 1 ? 1 : 0)),
      p0NormRatio: report.residual.p0NormRatio,
    };
  });
  const baseline = reports[0].attention.uniformBaseline;
  return { schema: SUBSTITUTION_SCHEMA, uniformBaseline: baseline, variants, ...judge(variants, baseline, options.epsilon ?? DEFAULT_EPSILON) };
}

async function replacementCandidates(analyzer: Analyzer, ids: number[]): Promise<{ label: string; id: number }[]> {
  const vocab = analyzer.model.vocabSize;
  const candidates = [{ label: 'original', id: ids[0] }];
  if (ids.length > 1 && ids[1] !== ids[0]) candidates.push({ label: 'next token repeated', id: ids[1] });
  // A fixed pseudo-random pick, so that reruns agree.
  let seed = ids.reduce((hash, id) => (hash * 31 + id) >>> 0, 7);
  for (let tries = 0; tries < 20; tries++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const id = seed % vocab;
    if (!candidates.some((candidate) => candidate.id === id) && !analyzer.isSpecialToken(id)) {
      candidates.push({ label: 'random token', id });
      break;
    }
  }
  for (const mark of ['.', ',']) {
    const id = await analyzer.singleTokenId(mark);
    if (id !== null && !candidates.some((candidate) => candidate.id === id)) candidates.push({ label: `punctuation '${mark}'`, id });
  }
  return candidates;
}

function judge(variants: SubstitutionVariant[], baseline: number, epsilon: number): Pick<SubstitutionDocument, 'finding' | 'explanation'> {
  const [original, ...others] = variants;
  const strengths = variants.map((variant) => `${variant.label} ${fmt(variant.sinkStrength)}`).join(', ');
  if (!hasSink(original.sinkStrength, epsilon, baseline)) {
    return {
      finding: 'no-sink',
      explanation: `The original prompt has no sink to follow: mean attention to position 0 over layers >= 1 is ${fmt(original.sinkStrength)} (uniform ${fmt(baseline)}; ${strengths}).`,
    };
  }
  const kept = others.filter((variant) => keepsSink(variant.sinkStrength, original.sinkStrength, epsilon, baseline));
  if (kept.length === others.length) {
    return { finding: 'follows-position', explanation: `The sink stays whatever token sits at position 0 (${strengths}): it follows the position, as the P0 Sink Circuit predicts.` };
  }
  if (kept.length === 0) {
    return {
      finding: 'follows-token',
      explanation: `Replacing the first token removes the sink (${strengths}; uniform ${fmt(baseline)}): this model's sink follows that token (e.g. a learned BOS feature), not position 0.`,
    };
  }
  return { finding: 'mixed', explanation: `Some replacements keep the sink and some do not (${strengths}): it depends partly on the token at position 0.` };
}
