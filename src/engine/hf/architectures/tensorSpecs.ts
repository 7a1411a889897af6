/** Readers of a checkpoint's linear and norm tensors, each checked for the shape the config implies (`shapes` says from what). */
import type { LinearSpec, NormSpec } from './decoderSpec';
import type { WeightCatalog } from './weightCatalog';

/** `name.weight` ([out, in] for torch Linear, [in, out] for GPT-2's Conv1D) and, with `withBias`, `name.bias`. */
export const linearReader =
  (weights: WeightCatalog, shapes: string, layout: LinearSpec['layout'] = 'out-in') =>
  (name: string, out: number, input: number, withBias: boolean): LinearSpec => ({
    weight: weights.expect(`${name}.weight`, layout === 'out-in' ? [out, input] : [input, out], shapes),
    bias: withBias ? weights.expect(`${name}.bias`, [out], shapes) : null,
    layout,
  });

/** A LayerNorm with weight and bias (GPT-2, GPT-NeoX). */
export const layerNormReader =
  (weights: WeightCatalog, shapes: string, size: number, eps: number) =>
  (name: string): NormSpec => ({
    kind: 'layer',
    weight: weights.expect(`${name}.weight`, [size], shapes),
    bias: weights.expect(`${name}.bias`, [size], shapes),
    eps,
    gain: 'weight',
  });
