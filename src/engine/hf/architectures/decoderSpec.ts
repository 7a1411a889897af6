/**
 * What a decoder computes, as data: the layer-by-layer recipe an architecture module derives from
 * config.json and the checkpoint's tensor names, and that graphBuilder.ts turns into ONNX nodes.
 * Weights are named by their checkpoint tensor names; each has been checked against the shape the
 * config implies. A new architecture is a new function from config to this spec; a new kind of
 * computation (a norm, an activation) is a new variant here plus its nodes in the builder.
 */

/** A weight matrix and its optional bias. `out-in`: torch Linear, [out, in]; `in-out`: GPT-2's Conv1D, [in, out]. */
export interface LinearSpec {
  weight: string;
  bias: string | null;
  layout: 'out-in' | 'in-out';
}

/**
 * RMSNorm or LayerNorm over the last axis. How an RMSNorm's gain applies, as each model's
 * transformers code writes it: `weight` × (the normalised float32 value cast back: LlamaRMSNorm),
 * `weight-in-float32` (weight × normalised, then the cast: Olmo2RMSNorm), `one-plus-weight-in-float32`
 * ((1 + weight) × normalised, then the cast: Gemma).
 */
export interface NormSpec {
  kind: 'rms' | 'layer';
  weight: string;
  bias: string | null;
  eps: number;
  gain: 'weight' | 'weight-in-float32' | 'one-plus-weight-in-float32';
}

/** Rotary embedding (rotate_half on HF-layout q/k rows) over the first `rotaryDims` dims of each head. */
export interface RopeSpec {
  /** inv_freq as transformers computes it (float32), rotaryDims / 2 values. */
  invFreq: number[];
  /** transformers' attention_scaling, applied to cos and sin (1 except for longrope). */
  attentionScaling: number;
  /** head_dim, or fewer (GPT-NeoX's rotary_pct, Phi-3's partial_rotary_factor): the rest pass unrotated. */
  rotaryDims: number;
  /** Longrope: these frequencies replace invFreq when the sequence is longer than `after` tokens. */
  long: { invFreq: number[]; after: number } | null;
}

export type Activation = 'silu' | 'gelu_tanh' | 'gelu' | 'relu';

/** How scores are scaled: transformers' LLaMA family multiplies by head_dim^-0.5, GPT-2 divides by sqrt(head_dim) (and by layer + 1 where configured). */
export type ScoreScaling = { op: 'Mul' | 'Div'; value: number }[];

export type Projections =
  | { kind: 'separate'; q: LinearSpec; k: LinearSpec; v: LinearSpec }
  /** One projection: `blocks` = [q | k | v] (GPT-2, Phi-3); `per-head` = rows [heads, 3, head_dim] (GPT-NeoX's query_key_value). */
  | { kind: 'fused'; qkv: LinearSpec; layout: 'blocks' | 'per-head' };

export interface AttentionSpec {
  heads: number;
  kvHeads: number;
  headDim: number;
  projections: Projections;
  output: LinearSpec;
  /** RMSNorm of q and k before the rotary embedding: over each head (Qwen3, Gemma 3) or over the whole projection before the heads are split (OLMo 2). */
  qkNorm: { scope: 'head' | 'projection'; q: NormSpec; k: NormSpec } | null;
  rope: RopeSpec | null;
  scaling: ScoreScaling;
  /** tanh(s / cap) · cap on the scaled scores before the mask (Gemma 2); null for none. */
  softcap: number | null;
  /** Key k is visible from query q iff k <= q and q - k < slidingWindow; null: every earlier key. */
  slidingWindow: number | null;
}

export type GatedMlpSpec = { kind: 'gated'; gate: LinearSpec; up: LinearSpec; down: LinearSpec; activation: Activation };

export type MlpSpec =
  | GatedMlpSpec
  /** One projection whose output is [gate | up] (Phi-3's gate_up_proj, chunked in two). */
  | { kind: 'gated-fused'; gateUp: LinearSpec; width: number; down: LinearSpec; activation: Activation }
  | { kind: 'plain'; up: LinearSpec; down: LinearSpec; activation: Activation }
  /**
   * A mixture of experts (Qwen3-MoE): router logits → softmax (float32) → the top-k experts per
   * token, their weights renormalised to sum 1 when `normalizeTopK`; the output is the sum of those
   * experts' outputs times their weights.
   */
  | { kind: 'moe'; router: LinearSpec; experts: GatedMlpSpec[]; topK: number; normalizeTopK: boolean };

/**
 * One block. `sequential`: h + Attn(·), then + MLP(·) of that sum; `parallel` (GPT-NeoX): both
 * branches read h and h + Attn(·) + MLP(·) is the only state after the block. Each branch may
 * normalise its input (pre-norm), its output before the residual add (post-norm: OLMo 2), or
 * both (Gemma's sandwich).
 */
export interface LayerSpec {
  residual: 'sequential' | 'parallel';
  attentionNorm: NormSpec | null;
  attention: AttentionSpec;
  attentionOutputNorm: NormSpec | null;
  mlpNorm: NormSpec | null;
  mlp: MlpSpec;
  mlpOutputNorm: NormSpec | null;
}

export interface DecoderSpec {
  modelType: string;
  hiddenSize: number;
  vocabSize: number;
  tokenEmbedding: string;
  /** The embedding times this (Gemma's sqrt(hidden_size), already rounded to the model's dtype); null for none. */
  embeddingScale: number | null;
  /** A learned position table added to the token embedding (GPT-2). */
  positionEmbedding: string | null;
  layers: LayerSpec[];
  finalNorm: NormSpec;
  /** [vocab, hidden]: lm_head.weight, or the token embedding when tied. */
  lmHead: string;
  /** tanh(logits / cap) · cap (Gemma); null for none. */
  finalSoftcap: number | null;
}

export const slidingWindowLayers = (spec: DecoderSpec): number[] => spec.layers.flatMap((layer, l) => (layer.attention.slidingWindow === null ? [] : [l]));
