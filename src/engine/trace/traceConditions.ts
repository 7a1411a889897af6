/**
 * `--fail-if "sinkRate.fromLayer2 < 0.5"`: conditions a pipeline checks on the newest checkpoint.
 * A condition that holds makes the trace command exit 1.
 */
import { SinkLensError } from '../errors';
import type { TraceCheckpoint } from '../../protocol/trace';

const METRICS: Record<string, (checkpoint: TraceCheckpoint) => number | null> = {
  'sinkRate.all': (c) => c.sinkRate.all,
  'sinkRate.fromLayer2': (c) => c.sinkRate.fromLayer2,
  formationDepth: (c) => c.formationDepth,
  sinkOnsetLayer: (c) => c.sinkOnsetLayer,
  concentration: (c) => c.concentration,
  loss: (c) => c.loss,
  'p0NormRatio.max': (c) => Math.max(...c.p0NormRatio.map((ratio) => ratio ?? -Infinity)),
};

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

export interface TraceCondition {
  text: string;
  holds: (checkpoint: TraceCheckpoint) => boolean;
}

export function parseCondition(text: string): TraceCondition {
  const match = /^\s*([\w.]+)\s*(<=|>=|==|!=|<|>)\s*(-?[\d.]+(?:e-?\d+)?|null)\s*$/.exec(text);
  if (!match || !METRICS[match[1]]) {
    throw new SinkLensError('usage', 'bad-condition', `--fail-if '${text}' is not "METRIC OP NUMBER" with METRIC one of ${Object.keys(METRICS).join(', ')}`);
  }
  const [, metric, operator, operand] = match;
  return {
    text: text.trim(),
    holds: (checkpoint) => {
      const value = METRICS[metric](checkpoint);
      if (operand === 'null') return operator === '==' ? value === null : operator === '!=' ? value !== null : false;
      // A missing value (e.g. no formation yet) fails every numeric comparison except "!=".
      return value === null ? operator === '!=' : COMPARE[operator](value, Number(operand));
    },
  };
}
