/** The run the Sink Report shows, as it has arrived so far, and what the page reads off it. */
import type { RunLayer, RunSummary } from '../../src/protocol/runParts';

export interface RunView {
  summary: RunSummary;
  layers: Map<number, RunLayer>;
  /** received[layer] once that layer's attention received arrived. */
  received: (Float32Array | undefined)[];
  done: boolean;
}

export function newRunView(summary: RunSummary): RunView {
  return { summary, layers: new Map(), received: new Array(summary.model.layers).fill(undefined), done: false };
}

export function progressText(run: RunView): string {
  const total = run.summary.model.layers;
  const received = run.received.filter(Boolean).length;
  return run.done ? `Done: ${run.summary.tokens.length} tokens, ${total} layers.` : `Streaming… layers ${run.layers.size} of ${total}; attention received ${received} of ${total}.`;
}

/** Attention each token receives, averaged over the layers that arrived; null before any did. */
export function meanReceived(run: RunView): Float32Array | null {
  const available = run.received.filter((layer): layer is Float32Array => Boolean(layer));
  if (available.length === 0) return null;
  const tokens = run.summary.tokens.length;
  const mean = new Float32Array(tokens);
  for (const layer of available) for (let t = 0; t < tokens; t++) mean[t] += layer[t] / available.length;
  return mean;
}
