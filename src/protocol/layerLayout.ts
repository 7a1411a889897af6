/**
 * The layer layout Sink Lens recognised in a model (`model.layout` in reports and `sink-lens
 * inspect`): per layer, how its attention probabilities are obtained, its window, where its norms
 * sit, whether attention and MLP are sequential or parallel, how much of each head the rotary
 * embedding turns, and whether its MLP is a mixture of experts. For a Hugging Face checkpoint it is
 * the spec Sink Lens built the graph from; for an ONNX model, what the graph matcher found, with
 * config.json filling what the graph does not show (`from` says which).
 */
import type { AttentionPath } from './report';

/** Where a branch's norms sit: before it (pre), on its output before the residual add (post), both (sandwich), or none. */
export type NormPlacement = 'pre' | 'post' | 'sandwich' | 'none';

export interface LayerLayout {
  layer: number;
  attention: AttentionPath;
  /** The sliding window in tokens (key k visible from query q iff q − k < window); null: full causal attention. */
  window: number | null;
  norms: { attention: NormPlacement; mlp: NormPlacement };
  /** sequential: the MLP reads h + Attn(h); parallel: attention and MLP both read h, and h + Attn + MLP is the block's only state (no depth l + 0.5). */
  residual: 'sequential' | 'parallel';
  /** Share of each head's dims the rotary embedding turns (1; less with a partial rotary factor; 0 without RoPE); null when neither the graph nor a config says. */
  rotaryFraction: number | null;
  mlp: 'dense' | 'mixture-of-experts';
}

export type LayoutSource = 'checkpoint' | 'graph' | 'config.json' | 'unknown';

export interface ModelLayout {
  /** Where each part comes from: the checkpoint's spec, the ONNX graph, or the config.json beside it. */
  from: { structure: LayoutSource; window: LayoutSource; rotary: LayoutSource };
  layers: LayerLayout[];
}

/** The residual form of the whole model, for labels: every block parallel, none, or some. */
export function residualForm(layout: ModelLayout | null | undefined): 'sequential' | 'parallel' | 'mixed' {
  const forms = new Set(layout?.layers.map((layer) => layer.residual) ?? ['sequential']);
  return forms.size > 1 ? 'mixed' : forms.has('parallel') ? 'parallel' : 'sequential';
}

const fraction = (value: number | null) => (value === null ? 'rotary ?' : value === 0 ? 'no rotary' : value === 1 ? 'rotary all dims' : `rotary ${Math.round(value * 1000) / 10} % of dims`);
const norms = ({ attention, mlp }: LayerLayout['norms']) => (attention === mlp ? `${attention}-norm` : `${attention}-norm attention, ${mlp}-norm MLP`).replace('none-norm', 'no norm');

/** One line per run of equal layers: "layers 0-4, 6-10: softmax, window 512, sandwich-norm, sequential, rotary all dims, dense MLP". */
export function describeLayout(layout: ModelLayout): string[] {
  const describe = (layer: LayerLayout) =>
    [
      `${layer.attention} attention`,
      layer.window === null ? 'full causal' : `sliding window ${layer.window}`,
      norms(layer.norms),
      `${layer.residual} residual`,
      fraction(layer.rotaryFraction),
      layer.mlp === 'dense' ? 'dense MLP' : 'mixture-of-experts MLP',
    ].join(', ');
  const groups = new Map<string, number[]>();
  for (const layer of layout.layers) groups.set(describe(layer), [...(groups.get(describe(layer)) ?? []), layer.layer]);
  const lines = [...groups].map(([text, layers]) => `${layers.length === 1 ? 'layer' : 'layers'} ${ranges(layers)}: ${text}`);
  const from = layout.from;
  lines.push(`(structure from the ${from.structure === 'checkpoint' ? 'checkpoint' : 'graph'}; windows from ${from.window}; rotary from ${from.rotary})`);
  return lines;
}

function ranges(values: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    parts.push(j === i ? `${values[i]}` : `${values[i]}-${values[j]}`);
    i = j;
  }
  return parts.join(', ');
}
