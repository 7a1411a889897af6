/**
 * LLaMA and the model types that differ from it only in small traits, each as that model's
 * transformers code decides it:
 *  - llama:   q/k/v/o bias with `attention_bias`, MLP bias with `mlp_bias`, rope_scaling;
 *  - mistral: no bias; every layer slides when `sliding_window` is set;
 *  - qwen2:   bias on q/k/v (never on o); layers slide only with `use_sliding_window`, from
 *             `max_window_layers` on (or as `layer_types` says);
 *  - qwen3:   q/k/v/o bias with `attention_bias`; RMSNorm of each head's q and k before RoPE
 *             (`q_norm`, `k_norm`); `head_dim` (default 128); windows as qwen2.
 */
import type { ConfigValues } from './configValues';
import { LLAMA_TRAITS, type Traits, withoutBias } from './llamaFamily';
import { ropeSpec } from './rope';

/** Rotary embedding over the whole head, as rope_theta / rope_scaling / rope_parameters say. */
export const fullRope = (config: ConfigValues, headDim: number) => ropeSpec(config, { rotaryDims: headDim });

/** Qwen2/Qwen3: `sliding_window` counts only with `use_sliding_window`; `layer_types` or `max_window_layers` say which layers. */
export function qwenWindow(config: ConfigValues, layer: number): number | null {
  if (!config.flag('use_sliding_window', false) || !config.has('sliding_window')) return null;
  const window = config.count('sliding_window');
  const layerTypes = config.raw('layer_types');
  if (Array.isArray(layerTypes)) return layerTypes[layer] === 'sliding_attention' ? window : null;
  return layer >= config.number('max_window_layers', 28) ? window : null;
}

const llama: Traits = { ...LLAMA_TRAITS, rope: fullRope };

export const QWEN3_TRAITS: Traits = {
  ...llama,
  mlpBias: () => false,
  qkNorm: 'head',
  defaultHeadDim: () => 128,
  slidingWindow: qwenWindow,
};

export const LLAMA_LIKE: Record<string, Traits> = {
  llama,
  mistral: { ...llama, ...withoutBias, slidingWindow: (config) => (config.has('sliding_window') ? config.count('sliding_window') : null) },
  qwen2: { ...llama, ...withoutBias, qkvBias: () => true, slidingWindow: qwenWindow },
  qwen3: QWEN3_TRAITS,
};
