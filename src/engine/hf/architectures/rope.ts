/**
 * Rotary-embedding frequencies as transformers' modeling_rope_utils computes them, in float32
 * (every step rounded with Math.fround, as torch's float32 tensors round it): `default`,
 * `linear` (inv_freq / factor) and `llama3` (long wavelengths divided by the factor, a smooth
 * ramp between). The config says it as `rope_theta` + `rope_scaling` ({rope_type or type, …}) or,
 * in transformers 5, as `rope_parameters` ({rope_type, rope_theta, …}). Any other type is refused
 * by name: a wrong rotary embedding would give plausible but wrong numbers.
 */
import type { ConfigValues } from './configValues';
import type { RopeSpec } from './decoderSpec';

export const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3'];

const f = Math.fround;
type Parameters = Record<string, unknown>;

export function ropeFrequencies(config: ConfigValues, headDim: number): RopeSpec {
  const { type, parameters, theta } = ropeSettings(config);
  const numeric = (key: string): number => {
    const value = parameters[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw config.invalid(`has rope type '${type}' without a numeric ${key}`);
    return value;
  };
  // _compute_default_rope_parameters: 1 / base ** (arange(0, dim, 2).float() / dim)
  const base = f(theta);
  const invFreq = Array.from({ length: headDim / 2 }, (_, i) => f(1 / f(Math.pow(base, f((2 * i) / headDim)))));
  if (type === 'default') return { invFreq, attentionScaling: 1 };
  if (type === 'linear') {
    const factor = f(numeric('factor'));
    return { invFreq: invFreq.map((value) => f(value / factor)), attentionScaling: 1 };
  }
  if (type === 'llama3') return { invFreq: llama3Frequencies(invFreq, numeric), attentionScaling: 1 };
  throw config.unsupported(`rope_scaling type '${type}'`, `the rope types ${SUPPORTED_ROPE_TYPES.join(', ')}`);
}

/** _compute_llama3_parameters, element by element. */
function llama3Frequencies(invFreq: number[], numeric: (key: string) => number): number[] {
  const factor = numeric('factor');
  const lowFreqFactor = numeric('low_freq_factor');
  const highFreqFactor = numeric('high_freq_factor');
  const oldContext = numeric('original_max_position_embeddings');
  const lowFreqWavelen = f(oldContext / lowFreqFactor);
  const highFreqWavelen = f(oldContext / highFreqFactor);
  return invFreq.map((value) => {
    const wavelen = f(f(2 * Math.PI) / value);
    if (wavelen < highFreqWavelen) return value;
    if (wavelen > lowFreqWavelen) return f(value / f(factor));
    const smooth = f(f(f(f(oldContext) / wavelen) - f(lowFreqFactor)) / f(highFreqFactor - lowFreqFactor));
    return f(f(f(f(1 - smooth) * value) / f(factor)) + f(smooth * value));
  });
}

function ropeSettings(config: ConfigValues): { type: string; parameters: Parameters; theta: number } {
  const v5 = config.raw('rope_parameters');
  if (v5 && typeof v5 === 'object' && !Array.isArray(v5)) {
    const parameters = v5 as Parameters;
    const theta = typeof parameters.rope_theta === 'number' ? parameters.rope_theta : config.number('rope_theta', 10000);
    return { type: ropeType(parameters), parameters, theta };
  }
  const scaling = config.raw('rope_scaling');
  const theta = config.number('rope_theta', 10000);
  if (scaling === undefined || scaling === null) return { type: 'default', parameters: {}, theta };
  if (typeof scaling !== 'object' || Array.isArray(scaling)) throw config.invalid(`says rope_scaling = ${JSON.stringify(scaling)}, not an object`);
  return { type: ropeType(scaling as Parameters), parameters: scaling as Parameters, theta };
}

function ropeType(parameters: Parameters): string {
  const type = parameters.rope_type ?? parameters.type ?? 'default';
  return typeof type === 'string' ? type : JSON.stringify(type);
}
