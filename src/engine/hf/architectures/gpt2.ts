/**
 * GPT-2 as transformers' modeling_gpt2 computes it: learned positions added to the token
 * embedding, LayerNorm, one fused `c_attn` projection split into q | k | v, Conv1D weights stored
 * [in, out] (x @ W + b, no transpose), scores divided by sqrt(head_dim) (`scale_attn_weights`)
 * and by layer + 1 (`scale_attn_by_inverse_layer_idx`), the MLP's activation from
 * `activation_function`, tied output embedding. Tensor names carry `transformer.` when saved from
 * GPT2LMHeadModel and none when saved from GPT2Model (as the original `gpt2` repository is).
 */
import type { ConfigValues } from './configValues';
import type { Activation, DecoderSpec, LayerSpec, LinearSpec, NormSpec, ScoreScaling } from './decoderSpec';
import { lmHead } from './llamaFamily';
import type { WeightCatalog } from './weightCatalog';

const ACTIVATIONS: Record<string, Activation> = {
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

export function gpt2Spec(config: ConfigValues, weights: WeightCatalog): DecoderSpec {
  const hidden = config.count('n_embd', 'hidden_size');
  const layers = config.count('n_layer', 'num_hidden_layers');
  const heads = config.count('n_head', 'num_attention_heads');
  const positions = config.count('n_positions', 'max_position_embeddings');
  const vocab = config.count('vocab_size');
  const inner = config.optionalCount('n_inner') ?? 4 * hidden;
  if (hidden % heads !== 0) throw config.invalid(`has n_embd ${hidden} not divisible by n_head ${heads}`);
  const headDim = hidden / heads;
  const activationName = config.text('activation_function', 'gelu_new');
  const activation = ACTIVATIONS[activationName];
  if (!activation) throw config.unsupported(`activation_function '${activationName}'`, Object.keys(ACTIVATIONS).join(', '));
  const eps = config.number('layer_norm_epsilon', 1e-5);
  const prefix = weights.prefix('wte.weight', ['transformer.', '']);
  const shapes = `n_embd ${hidden}, n_head ${heads}, n_inner ${inner}, n_positions ${positions}, vocab_size ${vocab}`;
  const norm = (name: string): NormSpec => ({
    kind: 'layer',
    weight: weights.expect(`${name}.weight`, [hidden], shapes),
    bias: weights.expect(`${name}.bias`, [hidden], shapes),
    eps,
  });
  const conv1d = (name: string, input: number, out: number): LinearSpec => ({
    weight: weights.expect(`${name}.weight`, [input, out], shapes),
    bias: weights.expect(`${name}.bias`, [out], shapes),
    layout: 'in-out',
  });

  const layerSpecs: LayerSpec[] = Array.from({ length: layers }, (_, l) => {
    const at = `${prefix}h.${l}`;
    const scaling: ScoreScaling = [];
    if (config.flag('scale_attn_weights', true)) scaling.push({ op: 'Div', value: Math.sqrt(headDim) });
    if (config.flag('scale_attn_by_inverse_layer_idx', false)) scaling.push({ op: 'Div', value: l + 1 });
    return {
      attentionNorm: norm(`${at}.ln_1`),
      attention: {
        heads,
        kvHeads: heads,
        headDim,
        projections: { kind: 'fused', qkv: conv1d(`${at}.attn.c_attn`, hidden, 3 * hidden) },
        output: conv1d(`${at}.attn.c_proj`, hidden, hidden),
        qNorm: null,
        kNorm: null,
        rope: null,
        scaling,
        slidingWindow: null,
      },
      mlpNorm: norm(`${at}.ln_2`),
      mlp: { kind: 'plain', up: conv1d(`${at}.mlp.c_fc`, hidden, inner), down: conv1d(`${at}.mlp.c_proj`, inner, hidden), activation },
    };
  });

  const tokenEmbedding = weights.expect(`${prefix}wte.weight`, [vocab, hidden], shapes);
  return {
    modelType: 'gpt2',
    hiddenSize: hidden,
    vocabSize: vocab,
    tokenEmbedding,
    positionEmbedding: weights.expect(`${prefix}wpe.weight`, [positions, hidden], shapes),
    layers: layerSpecs,
    finalNorm: norm(`${prefix}ln_f`),
    lmHead: lmHead(config, weights, tokenEmbedding, [vocab, hidden], shapes, true),
  };
}
