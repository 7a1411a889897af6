/** How the analyses name depths and layers: sliding-window layers (SW) are marked wherever layers are listed. */
import type { ModelSummary } from '../../src/protocol/report';
import { h } from '../kit/dom';

export const slidingLabel = (model: ModelSummary, layer: number) => (model.slidingWindowLayers.includes(layer) ? ' (sliding window)' : '');
export const depthLabel = (model: ModelSummary, depth: number) => {
  const layer = Math.ceil(depth) - 1;
  return depth > 0 && model.slidingWindowLayers.includes(layer) ? `${depth} SW` : String(depth);
};

export function slidingNote(model: ModelSummary): HTMLElement | null {
  if (model.slidingWindowLayers.length === 0) return null;
  return h(
    'p',
    { class: 'sliding-note', 'data-testid': 'sliding-note' },
    `Sliding-window layers (marked SW): ${model.slidingWindowLayers.join(', ')}. Their heads see only a recent window, so the paper finds no P0 sink in them.`,
  );
}
