/**
 * The decoders transformers writes the LLaMA way (RMSNorm, rotate_half RoPE on the q/k rows as
 * stored, grouped KV heads, a gated MLP, `model.layers.N.self_attn.q_proj` names), from config.json
 * and a model type's traits: what its transformers code does differently (bias, q/k norms, where
 * the norms sit, fused projections, windows, rotary variants, soft-caps, the MLP of a layer). The
 * traits of each model type live in their own module (llamaTraits.ts, gemma.ts, phi3.ts, olmo2.ts,
 * qwen3Moe.ts); this one builds the spec they all share.
 */
import type { ConfigValues } from './configValues';
import type { Activation, AttentionSpec, DecoderSpec, LayerSpec, LinearSpec, MlpSpec, NormSpec, RopeSpec } from './decoderSpec';
import { linearReader } from './tensorSpecs';
import { lmHead, type WeightCatalog } from './weightCatalog';

export interface Dims {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  /** What the shapes were derived from, for errors that name a tensor whose shape does not fit. */
  shapes: string;
}

/** Reads the layer's tensors by name, each checked against the shape the config implies. */
export interface LayerReader {
  config: ConfigValues;
  dims: Dims;
  /** `model.layers.N` (or `layers.N` in a base model saved alone). */
  at: string;
  linear(name: string, out: number, input: number, withBias: boolean): LinearSpec;
  norm(name: string, size?: number): NormSpec;
}

export interface Traits {
  qkvBias: (config: ConfigValues) => boolean;
  outputBias: (config: ConfigValues) => boolean;
  mlpBias: (config: ConfigValues) => boolean;
  /** RMSNorm of q and k: over each head (Qwen3, Gemma 3) or the whole projection (OLMo 2). */
  qkNorm: 'head' | 'projection' | null;
  defaultHeadDim: (hidden: number, heads: number) => number;
  /** rms_norm_eps when config.json does not say (the config class's default). */
  defaultEps: number;
  /** The window of layer `layer`, or null for full causal attention. */
  slidingWindow: (config: ConfigValues, layer: number) => number | null;
  /** pre (LLaMA), sandwich (Gemma: before and after each branch), post (OLMo 2: after each branch only). */
  norms: 'pre' | 'sandwich' | 'post';
  normGain: NormSpec['gain'];
  activation: (config: ConfigValues) => Activation;
  /** One `qkv_proj` and one `gate_up_proj` (Phi-3). */
  fused: boolean;
  rope: (config: ConfigValues, headDim: number, layer: number) => RopeSpec;
  /** The scores' scale (head_dim^-0.5; Gemma: query_pre_attn_scalar^-0.5). */
  scoreScale: (config: ConfigValues, headDim: number) => number;
  attentionSoftcap: (config: ConfigValues) => number | null;
  finalSoftcap: (config: ConfigValues) => number | null;
  /** Gemma: the embedding times sqrt(hidden_size) in the model's dtype (the builder rounds it). */
  embeddingScale: boolean;
  tiedByDefault: boolean;
  /** Layer `layer`'s MLP when it is not the gated one (Qwen3-MoE's experts); null: the gated MLP. */
  mlp: (reader: LayerReader, layer: number) => MlpSpec | null;
}

const noBias = () => false;
const never = () => null;

/** LLaMA's traits; every other model type states what it changes. */
export const LLAMA_TRAITS: Omit<Traits, 'rope'> = {
  qkvBias: (config) => config.flag('attention_bias', false),
  outputBias: (config) => config.flag('attention_bias', false),
  mlpBias: (config) => config.flag('mlp_bias', false),
  qkNorm: null,
  defaultHeadDim: (hidden, heads) => hidden / heads,
  defaultEps: 1e-6,
  slidingWindow: never,
  norms: 'pre',
  normGain: 'weight',
  activation: (config) => {
    const activation = config.text('hidden_act', 'silu');
    if (activation !== 'silu') throw config.unsupported(`hidden_act '${activation}'`, 'silu for this model type');
    return 'silu';
  },
  fused: false,
  scoreScale: (_, headDim) => headDim ** -0.5,
  attentionSoftcap: never,
  finalSoftcap: never,
  embeddingScale: false,
  tiedByDefault: false,
  mlp: never,
};
export const withoutBias = { qkvBias: noBias, outputBias: noBias, mlpBias: noBias };

/** Layer names of each branch's norms, by placement. */
const NORM_NAMES = {
  pre: { attention: 'input_layernorm', attentionOutput: null, mlp: 'post_attention_layernorm', mlpOutput: null },
  sandwich: { attention: 'input_layernorm', attentionOutput: 'post_attention_layernorm', mlp: 'pre_feedforward_layernorm', mlpOutput: 'post_feedforward_layernorm' },
  post: { attention: null, attentionOutput: 'post_attention_layernorm', mlp: null, mlpOutput: 'post_feedforward_layernorm' },
} as const;

export function llamaFamilySpec(traits: Traits, config: ConfigValues, weights: WeightCatalog): DecoderSpec {
  const hidden = config.count('hidden_size');
  const layers = config.count('num_hidden_layers');
  const heads = config.count('num_attention_heads');
  const kvHeads = config.has('num_key_value_heads') ? config.count('num_key_value_heads') : heads;
  const vocab = config.count('vocab_size');
  const headDim = config.optionalCount('head_dim') ?? traits.defaultHeadDim(hidden, heads);
  if (!Number.isInteger(headDim)) throw config.invalid(`has hidden_size ${hidden} not divisible by num_attention_heads ${heads}, and no head_dim`);
  if (heads % kvHeads !== 0) throw config.invalid(`has num_attention_heads ${heads} not a multiple of num_key_value_heads ${kvHeads}`);
  if (headDim % 2 !== 0) throw config.invalid(`has an odd head dimension ${headDim}, which rotary embeddings cannot rotate in pairs`);
  const activation = traits.activation(config);
  const eps = config.number('rms_norm_eps', traits.defaultEps);
  const prefix = weights.prefix('embed_tokens.weight', ['model.', '']);
  const intermediate = config.optionalCount('intermediate_size');
  const dims: Dims = {
    hidden,
    heads,
    kvHeads,
    headDim,
    vocab,
    shapes: `hidden_size ${hidden}, ${heads} heads and ${kvHeads} KV heads of ${headDim}, intermediate_size ${intermediate}, vocab_size ${vocab}`,
  };
  const norm = (name: string, size = hidden): NormSpec => ({ kind: 'rms', weight: weights.expect(`${name}.weight`, [size], dims.shapes), bias: null, eps, gain: traits.normGain });
  const linear = linearReader(weights, dims.shapes);
  const names = NORM_NAMES[traits.norms];
  const optionalNorm = (at: string, name: string | null) => (name === null ? null : norm(`${at}.${name}`));

  const layerSpecs: LayerSpec[] = Array.from({ length: layers }, (_, l) => {
    const at = `${prefix}layers.${l}`;
    const reader: LayerReader = { config, dims, at, linear, norm: (name, size) => norm(`${at}.${name}`, size) };
    const mlp = traits.mlp(reader, l) ?? gatedMlp(reader, config.count('intermediate_size'), traits.mlpBias(config), activation, traits.fused);
    return {
      residual: 'sequential',
      attentionNorm: optionalNorm(at, names.attention),
      attention: attention(traits, reader, l),
      attentionOutputNorm: optionalNorm(at, names.attentionOutput),
      mlpNorm: optionalNorm(at, names.mlp),
      mlp,
      mlpOutputNorm: optionalNorm(at, names.mlpOutput),
    };
  });

  const tokenEmbedding = weights.expect(`${prefix}embed_tokens.weight`, [vocab, hidden], dims.shapes);
  return {
    modelType: config.modelType,
    hiddenSize: hidden,
    vocabSize: vocab,
    tokenEmbedding,
    embeddingScale: traits.embeddingScale ? Math.sqrt(hidden) : null,
    positionEmbedding: null,
    layers: layerSpecs,
    finalNorm: norm(`${prefix}norm`),
    lmHead: lmHead(config, weights, tokenEmbedding, [vocab, hidden], dims.shapes, traits.tiedByDefault),
    finalSoftcap: traits.finalSoftcap(config),
  };
}

function attention(traits: Traits, reader: LayerReader, layer: number): AttentionSpec {
  const { config, dims, at } = reader;
  const { hidden, heads, kvHeads, headDim } = dims;
  const qkvBias = traits.qkvBias(config);
  const projection = `${at}.self_attn`;
  const projections: AttentionSpec['projections'] = traits.fused
    ? { kind: 'fused', qkv: reader.linear(`${projection}.qkv_proj`, (heads + 2 * kvHeads) * headDim, hidden, qkvBias), layout: 'blocks' }
    : {
        kind: 'separate',
        q: reader.linear(`${projection}.q_proj`, heads * headDim, hidden, qkvBias),
        k: reader.linear(`${projection}.k_proj`, kvHeads * headDim, hidden, qkvBias),
        v: reader.linear(`${projection}.v_proj`, kvHeads * headDim, hidden, qkvBias),
      };
  const perHead = traits.qkNorm === 'head';
  const qkNorm =
    traits.qkNorm === null
      ? null
      : {
          scope: traits.qkNorm,
          q: reader.norm('self_attn.q_norm', perHead ? headDim : heads * headDim),
          k: reader.norm('self_attn.k_norm', perHead ? headDim : kvHeads * headDim),
        };
  return {
    heads,
    kvHeads,
    headDim,
    projections,
    output: reader.linear(`${projection}.o_proj`, hidden, heads * headDim, traits.outputBias(config)),
    qkNorm,
    rope: traits.rope(config, headDim, layer),
    scaling: [{ op: 'Mul', value: traits.scoreScale(config, headDim) }],
    softcap: traits.attentionSoftcap(config),
    slidingWindow: traits.slidingWindow(config, layer),
  };
}

/** down(act(gate(x)) · up(x)); `fused`: one gate_up_proj whose output is [gate | up] (Phi-3). */
export function gatedMlp(reader: LayerReader, width: number, bias: boolean, activation: Activation, fused = false, at = `${reader.at}.mlp`): MlpSpec {
  const { hidden } = reader.dims;
  const down = reader.linear(`${at}.down_proj`, hidden, width, bias);
  if (fused) return { kind: 'gated-fused', gateUp: reader.linear(`${at}.gate_up_proj`, 2 * width, hidden, bias), width, down, activation };
  return { kind: 'gated', gate: reader.linear(`${at}.gate_proj`, width, hidden, bias), up: reader.linear(`${at}.up_proj`, width, hidden, bias), down, activation };
}
