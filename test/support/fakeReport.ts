/** A small report for plumbing tests (not a model's numbers). */
import type { SinkReport } from '../../src/protocol/report';

/** A hand-made report for 3 tokens, 2 layers, 2 heads (not a model's numbers: protocol plumbing only;
 * values exact in float32, since the parts travel as Float32Array). */
export function fakeReport(): SinkReport {
  const fta = [
    [
      [1, 0.5, 0.25],
      [1, 0.25, 0.125],
    ],
    [
      [1, 0.75, 0.5],
      [1, 0.5, 0.25],
    ],
  ];
  return {
    schema: 'sink-lens/report@1',
    model: { path: '/m', architecture: 'llama', layers: 2, heads: 2, kvHeads: null, hiddenSize: 4, vocabSize: 10, attention: 'softmax', bosTokenId: 1, dtype: 'float32', slidingWindowLayers: [] },
    runtime: { executionProvider: 'cpu', fallbackReason: null, onnxruntime: 'x', timingsMs: { load: 0, tokenize: 0, run: 0, summarize: 0 } },
    prompt: { text: 'ab', source: 't', bos: true },
    tokens: [
      { id: 1, text: '<s>', start: 0, end: 0, special: true },
      { id: 5, text: 'a', start: 0, end: 1, special: false },
      { id: 6, text: 'b', start: 1, end: 2, special: false },
    ],
    residual: {
      depths: [0, 0.5, 1],
      norms: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      p0NormRatio: [0.4, 0.8, 0.8],
      p0Separation: [null, 0.5, 0.25],
    },
    attention: {
      firstTokenAttention: fta,
      // Rows of T values summing to 1, exact in float32 (the parts travel as Float32Array).
      received: [
        [0.5, 0.25, 0.25],
        [0.75, 0.125, 0.125],
      ],
      sinkScore: [
        [0.7, 0.43],
        [0.9, 0.63],
      ],
      uniformBaseline: 0.61,
      sinkRate: { epsilon: 0.3, all: 1, fromLayer2: null },
    },
    massiveActivations: [],
    mlp: {
      layers: [
        { layer: 0, norms: [1, 1, 1] },
        { layer: 1, norms: [2, 2, 2] },
      ],
    },
    circuit: { formationDepth: null, sinkOnsetLayer: 0, withinTwoBlocks: false, concentration: null },
    warnings: [],
    // A field this protocol does not know must survive the round trip.
    ...({ futureField: { x: 1 } } as object),
  } as SinkReport;
}
