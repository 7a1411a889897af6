/**
 * The P0-circuit verdict in words a newcomer understands, written once for the CLI's summary, the
 * Sink Report (the worker puts it in the run's summary) and the Sink Analyses panel.
 */
import { FORMATION_RATIO } from './measures';
import type { AttentionSection, CircuitVerdict, ResidualSection } from './report';

export interface VerdictText {
  headline: string;
  details: string[];
}

const fmt = (value: number) => value.toFixed(2);

/** The parts of a report the verdict reads (a whole SinkReport is one). */
export interface VerdictInput {
  circuit: CircuitVerdict;
  attention: Pick<AttentionSection, 'sinkRate' | 'uniformBaseline'>;
  residual: Pick<ResidualSection, 'depths' | 'p0NormRatio'>;
}

export function describeVerdict(report: VerdictInput): VerdictText {
  const { circuit, attention, residual } = report;
  const rate = attention.sinkRate;
  const peakIndex = residual.p0NormRatio.reduce<number>((best, ratio, i) => ((ratio ?? 0) > (residual.p0NormRatio[best] ?? 0) ? i : best), 0);
  const peakRatio = residual.p0NormRatio[peakIndex];
  const details: string[] = [];

  if (circuit.formationDepth !== null) {
    details.push(
      `The first token's hidden state becomes at least ${FORMATION_RATIO}x the median norm of the others at depth ${circuit.formationDepth} and stays so` +
        (circuit.withinTwoBlocks ? ', within the first two blocks, as the P0 Sink Circuit predicts.' : ', later than the two blocks the paper finds.'),
    );
  } else if (peakRatio != null) {
    details.push(`The first token's norm peaks at ${fmt(peakRatio)}x the others' median (depth ${residual.depths[peakIndex]}) but does not stay above ${FORMATION_RATIO}x: no fixed high-norm P0 state.`);
  }
  if (circuit.sinkOnsetLayer !== null) {
    details.push(`From layer ${circuit.sinkOnsetLayer} on, heads put more than ${fmt(rate.epsilon)} of their attention on the first token on average (a uniform head would put ${fmt(attention.uniformBaseline)}).`);
  } else {
    details.push(`No layer's heads average more than ${fmt(rate.epsilon)} of their attention on the first token and twice the uniform share (${fmt(attention.uniformBaseline)}).`);
  }
  const fromLayer2 = rate.fromLayer2 === null ? '' : `, ${Math.round(rate.fromLayer2 * 100)} % from layer 2 on`;
  details.push(`Sink rate: ${Math.round(rate.all * 100)} % of heads score above ${fmt(rate.epsilon)}${fromLayer2}.`);

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
  return { headline, details };
}
