/**
 * The layer layout (protocol/layerLayout.ts) of an ONNX model, from what the graph matcher found:
 * attention path, residual form, norm placement (graph/branchNorms.ts) and mixture-of-experts MLPs
 * always; windows from the masks where the graph shows them (graph/maskWindow.ts), else from
 * config.json; the rotary fraction from onnxruntime's RotaryEmbedding operator where the graph has
 * one that turns whole heads, or learned positions (0), else from config.json.
 */
import type { LayerLayout, LayoutSource, ModelLayout } from '../../protocol/layerLayout';
import { normPlacement } from '../graph/branchNorms';
import type { DecoderLayout } from '../graph/decoderLayout';
import { maskWindow } from '../graph/maskWindow';
import { layerAttentionPath } from '../graph/operatorProbabilities';
import type { DeclaredConfig } from './modelConfig';

/** What the graph itself shows of its layer layout: kept with a cached model's structure (model/openCache.ts). */
export interface MatchedLayout {
  /** Each layer's layout, its window only where a mask shows it. */
  layers: LayerLayout[];
  /** The rotary fraction the graph shows (0: learned positions; 1: RotaryEmbedding over whole heads), or null. */
  rotaryFraction: number | null;
}

export function matchedLayout(layout: DecoderLayout, recompute = false): MatchedLayout {
  const rotaryFraction = layout.learnedPositions ? 0 : rotatesWholeHeads(layout) ? 1 : null;
  const layers = layout.layers.map((layer, l) => ({
    layer: l,
    attention: layerAttentionPath(layer, recompute),
    window: maskWindow(layout.graph, layout.shapes, layer) ?? null,
    norms: { attention: normPlacement(layout.graph, layer.branches.attention), mlp: normPlacement(layout.graph, layer.branches.mlp) },
    residual: layer.residual,
    rotaryFraction,
    mlp: layer.mlpActivation === null ? ('mixture-of-experts' as const) : ('dense' as const),
  }));
  return { layers, rotaryFraction };
}

/** The matched layout, with config.json filling what the graph does not show. */
export function graphLayout(matched: MatchedLayout, declared: DeclaredConfig): ModelLayout {
  const windowsFrom = new Set<LayoutSource>();
  const rotary: { fraction: number | null; from: LayoutSource } =
    matched.rotaryFraction !== null ? { fraction: matched.rotaryFraction, from: 'graph' } : { fraction: declared.rotaryFraction, from: declared.rotaryFraction === null ? 'unknown' : 'config.json' };
  const layers = matched.layers.map((layer) => {
    let window = layer.window;
    if (window !== null) windowsFrom.add('graph');
    else if (declared.slidingWindowLayers.includes(layer.layer) && declared.slidingWindow !== null) {
      window = declared.slidingWindow;
      windowsFrom.add('config.json');
    }
    return { ...layer, window, rotaryFraction: rotary.fraction };
  });
  const window: LayoutSource = windowsFrom.has('config.json') ? 'config.json' : 'graph';
  return { from: { structure: 'graph', window, rotary: rotary.from }, layers };
}

/** Whether every layer's attention rotates with com.microsoft RotaryEmbedding over the whole head (rotary_embedding_dim 0). */
function rotatesWholeHeads(layout: DecoderLayout): boolean {
  return layout.layers.every(({ branches }) => {
    const rotary = layout.graph.nodesBetween(new Set(branches.attention.stream), branches.attention.output).filter((node) => node.opType === 'RotaryEmbedding');
    return rotary.length > 0 && rotary.every((node) => Number(node.attributes.get('rotary_embedding_dim')?.i ?? 0) === 0);
  });
}
