/**
 * Gemma 2 and Gemma 3 (text) as transformers' modeling_gemma2 / modeling_gemma3 compute them: the
 * embedding times sqrt(hidden_size) in the model's dtype, RMSNorm scaled by (1 + weight) in float32,
 * sandwich norms (each branch's input and output normalised, the latter before the residual add),
 * scores scaled by query_pre_attn_scalar^-0.5, a GELU-tanh gated MLP (`hidden_activation`), a tied
 * head, final logits soft-capped (`final_logit_softcapping`), alternating sliding-window layers.
 *  - gemma2: attention logits soft-capped (`attn_logit_softcapping`, before the mask); sliding
 *    layers per `layer_types`, else every even layer (Gemma2Attention's `not layer_idx % 2`).
 *  - gemma3_text: no attention soft-cap (Gemma 3 passes none, whatever the config says); RMSNorm
 *    (1 + w) of each head's q and k; layer l slides unless l + 1 is a multiple of
 *    `sliding_window_pattern` (or per `layer_types`); sliding layers rotate with base
 *    `rope_local_base_freq` and no scaling, full layers with `rope_theta` and `rope_scaling`
 *    (transformers 5: `rope_parameters` per layer type).
 * Defaults are the config classes' own when a key is absent; a key set to null switches a
 * soft-cap off.
 */
import { activationOf } from './activations';
import type { ConfigValues } from './configValues';
import { LLAMA_TRAITS, type Traits } from './llamaFamily';
import { fullRope } from './llamaTraits';
import { ropeSpec } from './rope';

const window = (config: ConfigValues) => (config.has('sliding_window') ? config.count('sliding_window') : 4096);

/** layer_types, where the config lists them; undefined otherwise. */
function listedSlidingLayer(config: ConfigValues, layer: number): boolean | undefined {
  const layerTypes = config.raw('layer_types');
  return Array.isArray(layerTypes) ? layerTypes[layer] === 'sliding_attention' : undefined;
}

const GEMMA: Traits = {
  ...LLAMA_TRAITS,
  mlpBias: () => false,
  defaultHeadDim: () => 256,
  norms: 'sandwich',
  normGain: 'one-plus-weight-in-float32',
  activation: (config) => activationOf(config, ['hidden_activation'], 'gelu_pytorch_tanh'),
  rope: fullRope,
  scoreScale: (config) => config.number('query_pre_attn_scalar', 256) ** -0.5,
  finalSoftcap: (config) => config.numberOrNull('final_logit_softcapping', 30),
  embeddingScale: true,
  tiedByDefault: true,
};

export const GEMMA2_TRAITS: Traits = {
  ...GEMMA,
  slidingWindow: (config, layer) => ((listedSlidingLayer(config, layer) ?? layer % 2 === 0) ? window(config) : null),
  attentionSoftcap: (config) => config.numberOrNull('attn_logit_softcapping', 50),
};

function gemma3Sliding(config: ConfigValues, layer: number): boolean {
  const listed = listedSlidingLayer(config, layer);
  if (listed !== undefined) return listed;
  const pattern = config.has('sliding_window_pattern') ? config.count('sliding_window_pattern') : config.has('_sliding_window_pattern') ? config.count('_sliding_window_pattern') : 6;
  return (layer + 1) % pattern !== 0;
}

export const GEMMA3_TRAITS: Traits = {
  ...GEMMA,
  qkNorm: 'head',
  slidingWindow: (config, layer) => {
    if (config.flag('use_bidirectional_attention', false)) throw config.unsupported('use_bidirectional_attention', 'causal (decoder) Gemma 3 models');
    return gemma3Sliding(config, layer) ? window(config) : null;
  },
  rope: (config, headDim, layer) =>
    gemma3Sliding(config, layer)
      ? ropeSpec(config, { rotaryDims: headDim, layerType: 'sliding_attention', base: config.number('rope_local_base_freq', 10000) })
      : ropeSpec(config, { rotaryDims: headDim, layerType: 'full_attention', defaultTheta: 1_000_000 }),
  finalSoftcap: (config) => config.numberOrNull('final_logit_softcapping', null),
};
