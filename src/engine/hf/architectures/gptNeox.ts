/**
 * GPT-NeoX (EleutherAI's Pythia suite) as transformers' modeling_gpt_neox computes it: LayerNorm
 * (with bias) before attention (`input_layernorm`) and before the MLP (`post_attention_layernorm`);
 * one `query_key_value` projection whose rows are interleaved per head ([heads, 3, head_dim]: head
 * h's q, k, v are its 3·head_dim consecutive outputs); rotary embedding on the first
 * int(head_dim · rotary_pct) dims of each head only, base `rotary_emb_base` (transformers 5:
 * `partial_rotary_factor`, `rope_theta`); scores times head_dim^-0.5; `dense` output projection;
 * biases per `attention_bias` (default true); MLP dense_4h_to_h(act(dense_h_to_4h(x))) with bias,
 * act = `hidden_act` (Pythia: exact GELU); untied `embed_out` unless `tie_word_embeddings`.
 * `use_parallel_residual` (default true, as in Pythia): h + Attn(ln1 h) + MLP(ln2 h), one residual
 * state per block; false: the sequential pre-norm block.
 */
import { activationOf } from './activations';
import type { ConfigValues } from './configValues';
import type { DecoderSpec, LayerSpec } from './decoderSpec';
import { layerNormReader, linearReader } from './tensorSpecs';
import { ropeSpec } from './rope';
import { lmHead, type WeightCatalog } from './weightCatalog';

function rotaryFraction(config: ConfigValues): number {
  const key = config.has('rotary_pct') ? 'rotary_pct' : 'partial_rotary_factor';
  return config.number(key, 0.25);
}

export function gptNeoxSpec(config: ConfigValues, weights: WeightCatalog): DecoderSpec {
  const hidden = config.count('hidden_size');
  const layers = config.count('num_hidden_layers');
  const heads = config.count('num_attention_heads');
  const vocab = config.count('vocab_size');
  const intermediate = config.count('intermediate_size');
  if (hidden % heads !== 0) throw config.invalid(`has hidden_size ${hidden} not divisible by num_attention_heads ${heads}`);
  const headDim = hidden / heads;
  const fraction = rotaryFraction(config);
  const rotaryDims = Math.trunc(headDim * fraction);
  if (!(fraction > 0 && fraction <= 1) || rotaryDims === 0 || rotaryDims % 2 !== 0) {
    throw config.invalid(`has rotary_pct ${fraction}, which rotates ${rotaryDims} of ${headDim} dims (a positive even number is needed)`);
  }
  const rope = ropeSpec(config, { rotaryDims, defaultTheta: config.number('rotary_emb_base', 10000) });
  const eps = config.number('layer_norm_eps', 1e-5);
  const bias = config.flag('attention_bias', true);
  const parallel = config.flag('use_parallel_residual', true);
  const activation = activationOf(config, ['hidden_act'], 'gelu');
  const prefix = weights.prefix('embed_in.weight', ['gpt_neox.', '']);
  const shapes = `hidden_size ${hidden}, ${heads} heads of ${headDim}, intermediate_size ${intermediate}, vocab_size ${vocab}`;
  const norm = layerNormReader(weights, shapes, hidden, eps);
  const linear = linearReader(weights, shapes);

  const layerSpecs: LayerSpec[] = Array.from({ length: layers }, (_, l) => {
    const at = `${prefix}layers.${l}`;
    return {
      residual: parallel ? 'parallel' : 'sequential',
      attentionNorm: norm(`${at}.input_layernorm`),
      attention: {
        heads,
        kvHeads: heads,
        headDim,
        projections: { kind: 'fused', qkv: linear(`${at}.attention.query_key_value`, 3 * hidden, hidden, bias), layout: 'per-head' },
        output: linear(`${at}.attention.dense`, hidden, hidden, bias),
        qkNorm: null,
        rope,
        scaling: [{ op: 'Mul', value: headDim ** -0.5 }],
        softcap: null,
        slidingWindow: null,
      },
      attentionOutputNorm: null,
      mlpNorm: norm(`${at}.post_attention_layernorm`),
      mlp: { kind: 'plain', up: linear(`${at}.mlp.dense_h_to_4h`, intermediate, hidden, true), down: linear(`${at}.mlp.dense_4h_to_h`, hidden, intermediate, true), activation },
      mlpOutputNorm: null,
    };
  });

  const tokenEmbedding = weights.expect(`${prefix}embed_in.weight`, [vocab, hidden], shapes);
  return {
    modelType: 'gpt_neox',
    hiddenSize: hidden,
    vocabSize: vocab,
    tokenEmbedding,
    embeddingScale: null,
    positionEmbedding: null,
    layers: layerSpecs,
    finalNorm: norm(`${prefix}final_layer_norm`),
    lmHead: lmHead(config, weights, tokenEmbedding, [vocab, hidden], shapes, false, 'embed_out.weight'),
    finalSoftcap: null,
  };
}
