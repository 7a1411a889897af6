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

/** RMSNorm as LlamaRMSNorm computes it (float32, then weight × result in the model's type), or LayerNorm. */
export interface NormSpec {
  kind: 'rms' | 'layer';
  weight: string;
  bias: string | null;
  eps: number;
}

/** Rotary embedding over the whole head (rotate_half on HF-layout q/k rows). */
export interface RopeSpec {
  /** inv_freq as transformers computes it (float32), head_dim / 2 values. */
  invFreq: number[];
  /** transformers' attention_scaling, applied to cos and sin (1 for default, linear and llama3). */
  attentionScaling: number;
}

export type Activation = 'silu' | 'gelu_tanh' | 'gelu' | 'relu';

/** How scores are scaled: transformers' LLaMA family multiplies by head_dim^-0.5, GPT-2 divides by sqrt(head_dim) (and by layer + 1 where configured). */
export type ScoreScaling = { op: 'Mul' | 'Div'; value: number }[];

export interface AttentionSpec {
  heads: number;
  kvHeads: number;
  headDim: number;
  /** q, k, v apart, or one fused projection whose output is [q | k | v]. */
  projections: { kind: 'separate'; q: LinearSpec; k: LinearSpec; v: LinearSpec } | { kind: 'fused'; qkv: LinearSpec };
  output: LinearSpec;
  /** Per-head RMSNorm of q and k before the rotary embedding (Qwen3). */
  qNorm: NormSpec | null;
  kNorm: NormSpec | null;
  rope: RopeSpec | null;
  scaling: ScoreScaling;
  /** Key k is visible from query q iff k <= q and q - k < slidingWindow; null: every earlier key. */
  slidingWindow: number | null;
}

export type MlpSpec =
  | { kind: 'gated'; gate: LinearSpec; up: LinearSpec; down: LinearSpec; activation: Activation }
  | { kind: 'plain'; up: LinearSpec; down: LinearSpec; activation: Activation };

/** A pre-norm block: h + Attn(Norm(h)), then + MLP(Norm(·)). */
export interface LayerSpec {
  attentionNorm: NormSpec;
  attention: AttentionSpec;
  mlpNorm: NormSpec;
  mlp: MlpSpec;
}

export interface DecoderSpec {
  modelType: string;
  hiddenSize: number;
  vocabSize: number;
  tokenEmbedding: string;
  /** A learned position table added to the token embedding (GPT-2). */
  positionEmbedding: string | null;
  layers: LayerSpec[];
  finalNorm: NormSpec;
  /** [vocab, hidden]: lm_head.weight, or the token embedding when tied. */
  lmHead: string;
}

export const slidingWindowLayers = (spec: DecoderSpec): number[] =>
  spec.layers.flatMap((layer, l) => (layer.attention.slidingWindow === null ? [] : [l]));
