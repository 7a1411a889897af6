/**
 * The P0-circuit verdict in words a newcomer understands, written once for the CLI's summary, the
 * Sink Report (the worker puts it in the run's summary), the exported page and the Sink Analyses
 * panel. Every sentence states the definition it applies (docs/ANALYSES.md) with the numbers it
 * compared, so that no headline can read as contradicted by a number printed beside it.
 */
import { FORMATION_RATIO } from './measures';
import type { AttentionSection, CircuitVerdict, ResidualSection } from './report';

export interface VerdictText {
  headline: string;
  /**
   * Why the headline holds although a number beside it seems to say otherwise (many heads above ε
   * and still "no attention sink", on a short prompt); null when nothing needs reconciling.
   */
  why: string | null;
  details: string[];
}

/** The parts of a report the verdict reads (a whole SinkReport is one). */
export interface VerdictInput {
  circuit: CircuitVerdict;
  attention: Pick<AttentionSection, 'sinkRate' | 'uniformBaseline' | 'sinkScore'>;
  residual: Pick<ResidualSection, 'depths' | 'p0NormRatio'>;
  tokens: readonly unknown[];
}

const fmt = (value: number) => value.toFixed(2);
/** The uniform share and twice it, to three places, so that "2 × 0.457 = 0.913" adds up as printed. */
const share = (value: number) => value.toFixed(3);
const ratio = (value: number) => `${value.toFixed(2)}×`;
const pct = (value: number) => `${Math.round(value * 100)} %`;

/** Mean sink score of each layer (over its heads): what sinkOnsetLayer compares. */
export function layerMeans(sinkScore: readonly (readonly number[])[]): number[] {
  return sinkScore.map((heads) => heads.reduce((a, b) => a + b, 0) / Math.max(1, heads.length));
}

/**
 * The uniform share in words, with which number is the share and which twice it: "on 5 tokens a
 * head that spreads its attention evenly gives the first token 0.457 (the uniform share); twice
 * that is 2 × 0.457 = 0.913".
 */
export function uniformShareText(tokens: number, uniformBaseline: number): string {
  return `on ${tokens} token${tokens === 1 ? '' : 's'} a head that spreads its attention evenly gives the first token ${share(uniformBaseline)} (the uniform share); twice that is 2 × ${share(uniformBaseline)} = ${share(2 * uniformBaseline)}`;
}

export function describeVerdict(report: VerdictInput): VerdictText {
  const { circuit, attention } = report;
  const rate = attention.sinkRate;
  const details = [formationSentence(report), onsetSentence(report), ...beyondLastCountedDepth(report)];
  const fromLayer2 = rate.fromLayer2 === null ? '' : `, ${pct(rate.fromLayer2)} from layer 2 on`;
  details.push(`Sink rate: ${pct(rate.all)} of heads score above ε = ${fmt(rate.epsilon)}${fromLayer2}.`);

  let headline: string;
  if (circuit.sinkOnsetLayer !== null && circuit.formationDepth !== null) {
    headline = circuit.withinTwoBlocks ? 'Attention sink on the first token, formed within two blocks' : 'Attention sink on the first token, formed late';
  } else if (circuit.sinkOnsetLayer !== null) {
    headline = 'Heads sink onto the first token without a lasting high-norm P0 state';
  } else if (circuit.formationDepth !== null) {
    headline = 'High-norm first token, but no attention sink';
  } else {
    headline = 'No attention sink on the first token';
  }
  return { headline, why: whyNoSink(report), details: details.filter((line): line is string => line !== null) };
}

/** The last depth formationDepth looks at: L − 1 (docs/ANALYSES.md). */
const lastCountedDepth = (report: VerdictInput) => report.attention.sinkScore.length - 1;

function formationSentence(report: VerdictInput): string | null {
  const { circuit, residual } = report;
  const last = lastCountedDepth(report);
  const upTo = `every later depth up to L − 1 = ${last}`;
  if (circuit.formationDepth !== null) {
    const where = circuit.withinTwoBlocks ? 'within the first two blocks, as the P0 Sink Circuit predicts' : 'later than the two blocks the paper finds';
    return `The first token's hidden state is at least ${FORMATION_RATIO}× the median norm of the others from depth ${circuit.formationDepth} on, at ${upTo} (formation depth ${circuit.formationDepth}): ${where}.`;
  }
  const counted = residual.depths
    .map((depth, i) => ({ depth, value: residual.p0NormRatio[i] }))
    .filter((entry): entry is { depth: number; value: number } => entry.value != null && entry.depth <= last);
  if (counted.length === 0) return null;
  const peak = counted.reduce((best, entry) => (entry.value > best.value ? entry : best));
  if (peak.value < FORMATION_RATIO) {
    return `The first token's norm never reaches ${FORMATION_RATIO}× the others' median up to depth L − 1 = ${last} (its peak is ${ratio(peak.value)} at depth ${peak.depth}): no high-norm P0 state.`;
  }
  const fall = counted.find((entry) => entry.depth > peak.depth && entry.value < FORMATION_RATIO);
  return `The first token's norm reaches ${ratio(peak.value)} the others' median at depth ${peak.depth} but does not stay at ${FORMATION_RATIO}× or more through depth L − 1 = ${last}${fall ? ` (${ratio(fall.value)} at depth ${fall.depth})` : ''}: no lasting high-norm P0 state.`;
}

/**
 * Depths after L − 1 (the last block's attention and output) are outside formationDepth's
 * definition; when their ratio is under 2× beside a formed state, say why that is no contradiction.
 */
function beyondLastCountedDepth(report: VerdictInput): string[] {
  const { circuit, residual } = report;
  if (circuit.formationDepth === null) return [];
  const last = lastCountedDepth(report);
  const low = residual.depths.map((depth, i) => ({ depth, value: residual.p0NormRatio[i] })).filter((entry) => entry.depth > last && entry.value != null && entry.value < FORMATION_RATIO);
  if (low.length === 0) return [];
  const listed = low.map((entry) => `${ratio(entry.value!)} at depth ${entry.depth}`).join(', ');
  return [
    `The ratio is lower after depth L − 1 = ${last} (${listed}): the definition stops at L − 1 because the last block turns the state into the next-token prediction, where massive activations fade (Sun et al.). It does not undo the state that formed.`,
  ];
}

function onsetSentence(report: VerdictInput): string {
  const { circuit, attention, tokens } = report;
  const epsilon = fmt(attention.sinkRate.epsilon);
  const twice = `2 × ${share(attention.uniformBaseline)} = ${share(2 * attention.uniformBaseline)}`;
  if (circuit.sinkOnsetLayer !== null) {
    const mean = layerMeans(attention.sinkScore)[circuit.sinkOnsetLayer];
    return `Layer ${circuit.sinkOnsetLayer} is the first whose heads put on average more than ε = ${epsilon} and more than twice the uniform share (${twice}) of their attention on the first token: ${fmt(mean)}. The uniform share (${share(attention.uniformBaseline)}) is what a head spreading its attention evenly over these ${tokens.length} tokens gives it.`;
  }
  const means = layerMeans(attention.sinkScore);
  const top = means.reduce((best, value, layer) => (value > means[best] ? layer : best), 0);
  const highest = means.length ? ` The highest layer mean is ${fmt(means[top])} (layer ${top}).` : '';
  return `No layer's heads put on average more than both ε = ${epsilon} and twice the uniform share (${twice}) of their attention on the first token.${highest}`;
}

/** No sink, yet heads above ε: the reason, with the numbers, right under the headline. */
function whyNoSink(report: VerdictInput): string | null {
  const { circuit, attention, tokens } = report;
  if (circuit.sinkOnsetLayer !== null || attention.sinkRate.all === 0) return null;
  const epsilon = attention.sinkRate.epsilon;
  const means = layerMeans(attention.sinkScore);
  const top = means.reduce((best, value, layer) => (value > means[best] ? layer : best), 0);
  const rate = pct(attention.sinkRate.all);
  if (means[top] > epsilon) {
    const start = uniformShareText(tokens.length, attention.uniformBaseline);
    return `Why ${rate} of heads above ε = ${fmt(epsilon)} is still no sink: ${start}, and a sink needs a layer whose heads average more than that. The highest layer mean here is ${fmt(means[top])} (layer ${top}), under ${share(2 * attention.uniformBaseline)}. On a longer prompt the uniform share is smaller.`;
  }
  return `Why ${rate} of heads above ε = ${fmt(epsilon)} is still no sink: those heads are scattered; no layer's heads average above ε (the highest layer mean is ${fmt(means[top])}, layer ${top}).`;
}

/**
 * What position 0 is in this run, for the hover card and the token details: "where the sink forms"
 * only when the verdict finds a sink.
 */
export function p0Role(circuit: CircuitVerdict): string {
  if (circuit.sinkOnsetLayer !== null) return `P0, where the sink forms (layer ${circuit.sinkOnsetLayer} is the first whose heads sink onto it)`;
  if (circuit.formationDepth !== null) return 'P0: high-norm, but no attention sink in this run (see the verdict)';
  return 'P0: no attention sink in this run (see the verdict)';
}
