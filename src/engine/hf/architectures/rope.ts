/**
 * Rotary-embedding frequencies as transformers' modeling_rope_utils computes them, in float32
 * (every step rounded with Math.fround, as torch's float32 tensors round it), over the rotated
 * dims only (`rotaryDims`: head_dim, or fewer with a partial rotary factor): `default`, `linear`
 * (inv_freq / factor), `llama3` (long wavelengths divided by the factor, a smooth ramp between) and
 * `longrope` (Phi-3: per-dim short and long factors, the long ones once the sequence is longer than
 * original_max_position_embeddings, cos / sin times an attention factor). The config says it as
 * `rope_theta` + `rope_scaling` ({rope_type or type, …}) or, in transformers 5, as
 * `rope_parameters` ({rope_type, rope_theta, …}, per layer type for Gemma 3). Any other type is
 * refused by name: a wrong rotary embedding would give plausible but wrong numbers.
 */
import type { ConfigValues } from './configValues';
import type { RopeSpec } from './decoderSpec';

export const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'llama3', 'longrope'];

const f = Math.fround;
type Parameters = Record<string, unknown>;

export interface RopeOptions {
  rotaryDims: number;
  /** Gemma 3's `sliding_attention` / `full_attention` entries of a per-layer-type rope_parameters. */
  layerType?: string;
  /** The base (and default type) to use when the config gives none of its own for this layer type: Gemma 3's rope_local_base_freq. */
  base?: number;
  /** Type names the model's config class renames (Phi3Config: su and yarn are longrope). */
  aliases?: Record<string, string>;
  /** rope_theta when config.json does not say (the config class's default; 10000 unless given). */
  defaultTheta?: number;
}

export function ropeSpec(config: ConfigValues, options: RopeOptions): RopeSpec {
  const { rotaryDims } = options;
  const { type, parameters, theta } = ropeSettings(config, options);
  const numeric = (key: string): number => {
    const value = parameters[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw config.invalid(`has rope type '${type}' without a numeric ${key}`);
    return value;
  };
  const spec = (invFreq: number[]): RopeSpec => ({ invFreq, attentionScaling: 1, rotaryDims, long: null });
  const invFreq = defaultFrequencies(theta, rotaryDims);
  if (type === 'default') return spec(invFreq);
  if (type === 'linear') {
    const factor = f(numeric('factor'));
    return spec(invFreq.map((value) => f(value / factor)));
  }
  if (type === 'llama3') return spec(llama3Frequencies(invFreq, numeric));
  if (type === 'longrope') return longrope(config, parameters, theta, rotaryDims);
  throw config.unsupported(`rope_scaling type '${type}'`, `the rope types ${SUPPORTED_ROPE_TYPES.join(', ')}`);
}

/** _compute_default_rope_parameters: 1 / base ** (arange(0, dim, 2).float() / dim). */
function defaultFrequencies(theta: number, dim: number): number[] {
  const base = f(theta);
  return Array.from({ length: dim / 2 }, (_, i) => f(1 / f(Math.pow(base, f((2 * i) / dim)))));
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

/**
 * _compute_longrope_parameters: inv_freq = 1 / (ext_factors * base ** (arange(0, dim, 2) / dim)),
 * ext = short_factor, or long_factor when the sequence is longer than original_max_position_embeddings
 * (dynamic_rope_update); factor = max_position_embeddings / original (Phi-3 keeps the original at the
 * config's top level), attention factor sqrt(1 + ln(factor) / ln(original)) unless given, 1 when factor <= 1.
 */
function longrope(config: ConfigValues, parameters: Parameters, theta: number, dim: number): RopeSpec {
  const factors = (key: string): number[] => {
    const value = parameters[key];
    if (!Array.isArray(value) || value.length !== dim / 2 || !value.every((item) => typeof item === 'number' && Number.isFinite(item))) {
      throw config.invalid(`has rope type 'longrope' whose ${key} is not a list of ${dim / 2} numbers (one per rotated pair of dims)`);
    }
    return value as number[];
  };
  const declared = config.has('original_max_position_embeddings') ? config.raw('original_max_position_embeddings') : parameters.original_max_position_embeddings;
  let factor = typeof parameters.factor === 'number' ? parameters.factor : null;
  let original: number;
  if (typeof declared === 'number' && declared > 0) {
    original = declared;
    factor = config.count('max_position_embeddings') / original;
  } else {
    original = config.count('max_position_embeddings');
  }
  if (factor === null) throw config.invalid("has rope type 'longrope' without original_max_position_embeddings or a numeric factor");
  const given = parameters.attention_factor;
  const attentionScaling = typeof given === 'number' ? given : factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  const base = f(theta);
  const frequencies = (ext: number[]) => ext.map((scale, i) => f(1 / f(f(scale) * f(Math.pow(base, f((2 * i) / dim))))));
  return {
    invFreq: frequencies(factors('short_factor')),
    attentionScaling,
    rotaryDims: dim,
    long: { invFreq: frequencies(factors('long_factor')), after: original },
  };
}

function ropeSettings(config: ConfigValues, options: RopeOptions): { type: string; parameters: Parameters; theta: number } {
  const v5 = config.raw('rope_parameters');
  if (v5 && typeof v5 === 'object' && !Array.isArray(v5)) {
    let parameters = v5 as Parameters;
    const perType = options.layerType === undefined ? undefined : parameters[options.layerType];
    if (perType && typeof perType === 'object' && !Array.isArray(perType)) parameters = perType as Parameters;
    const theta = typeof parameters.rope_theta === 'number' ? parameters.rope_theta : (options.base ?? config.number('rope_theta', options.defaultTheta ?? 10000));
    return { type: ropeType(parameters, options), parameters, theta };
  }
  if (options.base !== undefined) return { type: 'default', parameters: {}, theta: options.base };
  const scaling = config.raw('rope_scaling');
  const theta = config.number('rope_theta', options.defaultTheta ?? 10000);
  if (scaling === undefined || scaling === null) return { type: 'default', parameters: {}, theta };
  if (typeof scaling !== 'object' || Array.isArray(scaling)) throw config.invalid(`says rope_scaling = ${JSON.stringify(scaling)}, not an object`);
  return { type: ropeType(scaling as Parameters, options), parameters: scaling as Parameters, theta };
}

function ropeType(parameters: Parameters, options: RopeOptions): string {
  const type = parameters.rope_type ?? parameters.type ?? 'default';
  const name = typeof type === 'string' ? type : JSON.stringify(type);
  return options.aliases?.[name] ?? name;
}
