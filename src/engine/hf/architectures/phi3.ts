/**
 * Phi-3 (and Phi-3.5, Phi-4-mini) as transformers' modeling_phi3 computes it: LLaMA with one
 * `qkv_proj` whose output is [q | k | v] and one `gate_up_proj` whose output is [gate | up]
 * (chunked in two: up · silu(gate)), no bias, every layer sliding when `sliding_window` is set,
 * `partial_rotary_factor` (only the first int(head_dim · factor) dims of each head rotate), and
 * `rope_scaling` longrope (short or long factors by sequence length, cos / sin times the attention
 * factor: rope.ts); Phi3Config renames the older `su` and `yarn` types to longrope.
 */
import { LLAMA_TRAITS, type Traits, withoutBias } from './llamaFamily';
import { ropeSpec } from './rope';

export const PHI3_TRAITS: Traits = {
  ...LLAMA_TRAITS,
  ...withoutBias,
  fused: true,
  defaultEps: 1e-5,
  slidingWindow: (config) => (config.has('sliding_window') ? config.count('sliding_window') : null),
  rope: (config, headDim) => {
    const factor = config.number('partial_rotary_factor', 1);
    const rotaryDims = Math.trunc(headDim * factor);
    if (!(factor > 0 && factor <= 1) || rotaryDims % 2 !== 0) {
      throw config.invalid(`has partial_rotary_factor ${factor}, which rotates ${rotaryDims} of ${headDim} dims (a positive even number is needed)`);
    }
    return ropeSpec(config, { rotaryDims, aliases: { su: 'longrope', yarn: 'longrope' } });
  },
};
