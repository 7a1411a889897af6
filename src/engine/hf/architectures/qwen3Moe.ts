/**
 * Qwen3-MoE as transformers' modeling_qwen3_moe computes it: Qwen3's attention, and in every layer
 * not in `mlp_only_layers` whose index + 1 is a multiple of `decoder_sparse_step` a sparse
 * mixture of experts (Qwen3MoeSparseMoeBlock): router `mlp.gate` → softmax in float32 → the
 * `num_experts_per_tok` largest → renormalised when `norm_topk_prob` → the sum of those experts'
 * SwiGLU outputs (`mlp.experts.E.{gate,up,down}_proj`, `moe_intermediate_size` wide) times their
 * weights. Other layers have Qwen3's dense MLP. Defaults are Qwen3MoeConfig's.
 */
import type { ConfigValues } from './configValues';
import type { GatedMlpSpec, MlpSpec } from './decoderSpec';
import { gatedMlp, type LayerReader, type Traits } from './llamaFamily';
import { QWEN3_TRAITS } from './llamaTraits';

function isSparse(config: ConfigValues, layer: number): boolean {
  const dense = config.raw('mlp_only_layers');
  if (dense !== undefined && dense !== null && (!Array.isArray(dense) || !dense.every(Number.isInteger))) {
    throw config.invalid(`says mlp_only_layers = ${JSON.stringify(dense)}, not a list of layer indices`);
  }
  const experts = config.has('num_experts') ? config.count('num_experts') : 128;
  const step = config.has('decoder_sparse_step') ? config.count('decoder_sparse_step') : 1;
  return !((dense as number[] | null | undefined) ?? []).includes(layer) && experts > 0 && (layer + 1) % step === 0;
}

function mixtureOfExperts(reader: LayerReader, layer: number): MlpSpec | null {
  const { config, dims, at } = reader;
  if (!isSparse(config, layer)) return null;
  const experts = config.has('num_experts') ? config.count('num_experts') : 128;
  const topK = config.has('num_experts_per_tok') ? config.count('num_experts_per_tok') : 8;
  if (topK > experts) throw config.invalid(`has num_experts_per_tok ${topK} above num_experts ${experts}`);
  const width = config.has('moe_intermediate_size') ? config.count('moe_intermediate_size') : 768;
  return {
    kind: 'moe',
    router: reader.linear(`${at}.mlp.gate`, experts, dims.hidden, false),
    experts: Array.from({ length: experts }, (_, e) => gatedMlp(reader, width, false, 'silu', false, `${at}.mlp.experts.${e}`) as GatedMlpSpec),
    topK,
    normalizeTopK: config.flag('norm_topk_prob', false),
  };
}

export const QWEN3_MOE_TRAITS: Traits = { ...QWEN3_TRAITS, mlp: mixtureOfExperts };
