/** The layer layout (protocol/layerLayout.ts) of a checkpoint, from the spec its graph is built from. */
import type { LayerLayout, ModelLayout, NormPlacement } from '../../protocol/layerLayout';
import type { DecoderSpec, NormSpec } from './architectures/decoderSpec';

const placement = (before: NormSpec | null, after: NormSpec | null): NormPlacement => (before && after ? 'sandwich' : before ? 'pre' : after ? 'post' : 'none');

export function specLayout(spec: DecoderSpec): ModelLayout {
  const layers = spec.layers.map((layer, l): LayerLayout => ({
    layer: l,
    attention: 'softmax',
    window: layer.attention.slidingWindow,
    norms: { attention: placement(layer.attentionNorm, layer.attentionOutputNorm), mlp: placement(layer.mlpNorm, layer.mlpOutputNorm) },
    residual: layer.residual,
    rotaryFraction: layer.attention.rope ? layer.attention.rope.rotaryDims / layer.attention.headDim : 0,
    mlp: layer.mlp.kind === 'moe' ? 'mixture-of-experts' : 'dense',
  }));
  return { from: { structure: 'checkpoint', window: 'checkpoint', rotary: 'checkpoint' }, layers };
}
