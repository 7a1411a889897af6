/**
 * LLaMA and the models transformers writes the same way (pre-norm RMSNorm, rotate_half RoPE on
 * the q/k rows as stored, grouped KV heads, SwiGLU): llama, mistral, qwen2 and qwen3. They differ
 * only in the traits below, each as that model's transformers code decides it:
 *  - llama:   q/k/v/o bias with `attention_bias`, MLP bias with `mlp_bias`, rope_scaling;
 *  - mistral: no bias; every layer slides when `sliding_window` is set;
 *  - qwen2:   bias on q/k/v (never on o); layers slide only with `use_sliding_window`, from
 *             `max_window_layers` on (or as `layer_types` says);
 *  - qwen3:   q/k/v/o bias with `attention_bias`; RMSNorm of each head's q and k before RoPE
 *             (`q_norm`, `k_norm`); `head_dim` (default 128); windows as qwen2.
 */
import type { ConfigValues } from './configValues';
import type { AttentionSpec, DecoderSpec, LayerSpec, LinearSpec, NormSpec } from './decoderSpec';
import { ropeFrequencies } from './rope';
import type { WeightCatalog } from './weightCatalog';

interface Traits {
  qkvBias: (config: ConfigValues) => boolean;
  outputBias: (config: ConfigValues) => boolean;
  mlpBias: (config: ConfigValues) => boolean;
  qkNorm: boolean;
  defaultHeadDim: (hidden: number, heads: number) => number;
  /** The window of layer `layer`, or null for full causal attention. */
  slidingWindow: (config: ConfigValues, layer: number) => number | null;
}

const noBias = () => false;
const perHead = (hidden: number, heads: number) => hidden / heads;

/** Qwen2/Qwen3: `sliding_window` counts only with `use_sliding_window`; `layer_types` or `max_window_layers` say which layers. */
function qwenWindow(config: ConfigValues, layer: number): number | null {
  if (!config.flag('use_sliding_window', false) || !config.has('sliding_window')) return null;
  const window = config.count('sliding_window');
  const layerTypes = config.raw('layer_types');
  if (Array.isArray(layerTypes)) return layerTypes[layer] === 'sliding_attention' ? window : null;
  return layer >= config.number('max_window_layers', 28) ? window : null;
}

export const LLAMA_FAMILY: Record<string, Traits> = {
  llama: {
    qkvBias: (config) => config.flag('attention_bias', false),
    outputBias: (config) => config.flag('attention_bias', false),
    mlpBias: (config) => config.flag('mlp_bias', false),
    qkNorm: false,
    defaultHeadDim: perHead,
    slidingWindow: () => null,
  },
  mistral: {
    qkvBias: noBias,
    outputBias: noBias,
    mlpBias: noBias,
    qkNorm: false,
    defaultHeadDim: perHead,
    slidingWindow: (config) => (config.has('sliding_window') ? config.count('sliding_window') : null),
  },
  qwen2: {
    qkvBias: () => true,
    outputBias: noBias,
    mlpBias: noBias,
    qkNorm: false,
    defaultHeadDim: perHead,
    slidingWindow: qwenWindow,
  },
  qwen3: {
    qkvBias: (config) => config.flag('attention_bias', false),
    outputBias: (config) => config.flag('attention_bias', false),
    mlpBias: noBias,
    qkNorm: true,
    defaultHeadDim: () => 128,
    slidingWindow: qwenWindow,
  },
};

export function llamaFamilySpec(config: ConfigValues, weights: WeightCatalog): DecoderSpec {
  const traits = LLAMA_FAMILY[config.modelType];
  const hidden = config.count('hidden_size');
  const layers = config.count('num_hidden_layers');
  const heads = config.count('num_attention_heads');
  const kvHeads = config.has('num_key_value_heads') ? config.count('num_key_value_heads') : heads;
  const vocab = config.count('vocab_size');
  const intermediate = config.count('intermediate_size');
  const headDim = config.optionalCount('head_dim') ?? traits.defaultHeadDim(hidden, heads);
  if (!Number.isInteger(headDim)) throw config.invalid(`has hidden_size ${hidden} not divisible by num_attention_heads ${heads}, and no head_dim`);
  if (heads % kvHeads !== 0) throw config.invalid(`has num_attention_heads ${heads} not a multiple of num_key_value_heads ${kvHeads}`);
  if (headDim % 2 !== 0) throw config.invalid(`has an odd head dimension ${headDim}, which rotary embeddings cannot rotate in pairs`);
  const activation = config.text('hidden_act', 'silu');
  if (activation !== 'silu') throw config.unsupported(`hidden_act '${activation}'`, 'silu for this model type');
  const eps = config.number('rms_norm_eps', 1e-6);
  const rope = ropeFrequencies(config, headDim);
  const prefix = weights.prefix('embed_tokens.weight', ['model.', '']);
  const shapes = `hidden_size ${hidden}, ${heads} heads and ${kvHeads} KV heads of ${headDim}, intermediate_size ${intermediate}, vocab_size ${vocab}`;
  const norm = (name: string, size = hidden): NormSpec => ({ kind: 'rms', weight: weights.expect(`${name}.weight`, [size], shapes), bias: null, eps });
  const linear = (name: string, out: number, input: number, withBias: boolean): LinearSpec => ({
    weight: weights.expect(`${name}.weight`, [out, input], shapes),
    bias: withBias ? weights.expect(`${name}.bias`, [out], shapes) : null,
    layout: 'out-in',
  });

  const layerSpecs: LayerSpec[] = Array.from({ length: layers }, (_, l) => {
    const at = `${prefix}layers.${l}`;
    const qkvBias = traits.qkvBias(config);
    const attention: AttentionSpec = {
      heads,
      kvHeads,
      headDim,
      projections: {
        kind: 'separate',
        q: linear(`${at}.self_attn.q_proj`, heads * headDim, hidden, qkvBias),
        k: linear(`${at}.self_attn.k_proj`, kvHeads * headDim, hidden, qkvBias),
        v: linear(`${at}.self_attn.v_proj`, kvHeads * headDim, hidden, qkvBias),
      },
      output: linear(`${at}.self_attn.o_proj`, hidden, heads * headDim, traits.outputBias(config)),
      qNorm: traits.qkNorm ? norm(`${at}.self_attn.q_norm`, headDim) : null,
      kNorm: traits.qkNorm ? norm(`${at}.self_attn.k_norm`, headDim) : null,
      rope,
      scaling: [{ op: 'Mul', value: headDim ** -0.5 }],
      slidingWindow: traits.slidingWindow(config, l),
    };
    const mlpBias = traits.mlpBias(config);
    return {
      attentionNorm: norm(`${at}.input_layernorm`),
      attention,
      mlpNorm: norm(`${at}.post_attention_layernorm`),
      mlp: {
        kind: 'gated',
        gate: linear(`${at}.mlp.gate_proj`, intermediate, hidden, mlpBias),
        up: linear(`${at}.mlp.up_proj`, intermediate, hidden, mlpBias),
        down: linear(`${at}.mlp.down_proj`, hidden, intermediate, mlpBias),
        activation: 'silu',
      },
    };
  });

  const tokenEmbedding = weights.expect(`${prefix}embed_tokens.weight`, [vocab, hidden], shapes);
  return {
    modelType: config.modelType,
    hiddenSize: hidden,
    vocabSize: vocab,
    tokenEmbedding,
    positionEmbedding: null,
    layers: layerSpecs,
    finalNorm: norm(`${prefix}norm`),
    lmHead: lmHead(config, weights, tokenEmbedding, [vocab, hidden], shapes, false),
  };
}

/**
 * The output projection: the token embedding when `tie_word_embeddings` (transformers then ignores
 * any lm_head.weight), otherwise lm_head.weight, which must be there.
 */
export function lmHead(config: ConfigValues, weights: WeightCatalog, embedding: string, shape: number[], why: string, tiedByDefault: boolean): string {
  if (config.flag('tie_word_embeddings', tiedByDefault)) return embedding;
  return weights.expect('lm_head.weight', shape, `${why}; tie_word_embeddings false`);
}
