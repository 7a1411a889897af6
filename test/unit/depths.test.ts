/** What a report's depths say about parallel blocks, and what the depth axes then say (src/protocol/depths.ts). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { depthAxisTitle, parallelBlocks } from '../../src/protocol/depths';
import { describeLayout, residualForm } from '../../src/protocol/layerLayout';

it('a sequential model has every l + 0.5, and its axis names them', () => {
  assert.deepEqual(parallelBlocks([0, 0.5, 1, 1.5, 2]), []);
  assert.equal(depthAxisTitle([0, 0.5, 1, 1.5, 2]), 'depth (0 = embeddings, l + 0.5 = after attention, l + 1 = after block l)');
});

it('a parallel model (GPT-NeoX) has block outputs only, and its axis says there is no l + 0.5', () => {
  assert.deepEqual(parallelBlocks([0, 1, 2, 3]), [0, 1, 2]);
  assert.match(depthAxisTitle([0, 1, 2, 3]), /block outputs only: attention and MLP run in parallel, so there is no l \+ 0\.5/);
});

it('a mixed model names its parallel blocks', () => {
  assert.deepEqual(parallelBlocks([0, 0.5, 1, 2, 2.5, 3]), [1]);
  assert.equal(depthAxisTitle([0, 0.5, 1, 2, 2.5, 3]), 'depth (0 = embeddings, l + 0.5 = after attention, l + 1 = after block l; block 1 parallel: no l + 0.5)');
});

it('a layout is described one line per run of equal layers, with where each part comes from', () => {
  const layer = (l: number, window: number | null) => ({
    layer: l,
    attention: 'softmax' as const,
    window,
    norms: { attention: 'sandwich' as const, mlp: 'sandwich' as const },
    residual: 'sequential' as const,
    rotaryFraction: 1,
    mlp: 'dense' as const,
  });
  const layout = { from: { structure: 'graph' as const, window: 'graph' as const, rotary: 'config.json' as const }, layers: [layer(0, 512), layer(1, 512), layer(2, null), layer(3, 512)] };
  assert.deepEqual(describeLayout(layout), [
    'layers 0-1, 3: softmax attention, sliding window 512, sandwich-norm, sequential residual, rotary all dims, dense MLP',
    'layer 2: softmax attention, full causal, sandwich-norm, sequential residual, rotary all dims, dense MLP',
    '(structure from the graph; windows from graph; rotary from config.json)',
  ]);
  assert.equal(residualForm(layout), 'sequential');
  assert.equal(residualForm({ ...layout, layers: layout.layers.map((entry) => ({ ...entry, residual: 'parallel' as const })) }), 'parallel');
});
