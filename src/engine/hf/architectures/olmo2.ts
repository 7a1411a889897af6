/**
 * OLMo 2 as transformers' modeling_olmo2 computes it: no norm before attention or MLP; each
 * branch's output is normalised (`post_attention_layernorm`, `post_feedforward_layernorm`) before
 * its residual add; q and k are RMSNorm-ed over the whole projection (weights [heads · head_dim],
 * [kv_heads · head_dim]) before the heads are split; Olmo2RMSNorm multiplies its gain in float32,
 * before the cast back; bias per `attention_bias`; SwiGLU; untied head by default.
 */
import { LLAMA_TRAITS, type Traits } from './llamaFamily';
import { fullRope } from './llamaTraits';

export const OLMO2_TRAITS: Traits = {
  ...LLAMA_TRAITS,
  mlpBias: () => false,
  qkNorm: 'projection',
  defaultEps: 1e-5,
  norms: 'post',
  normGain: 'weight-in-float32',
  rope: fullRope,
};
