/**
 * What a report's depths say about the model's blocks. A sequential block l has two residual
 * states, l + 0.5 (after its attention) and l + 1; a parallel block (GPT-NeoX, GPT-J: attention
 * and MLP both read h[l], h[l + 1] = h[l] + Attn + MLP) has only l + 1, so its l + 0.5 is absent
 * from `residual.depths` rather than made up. The depth axes of every chart say which they show.
 */

/** Blocks l whose l + 1 is a depth but l + 0.5 is not: attention and MLP in parallel. */
export function parallelBlocks(depths: number[]): number[] {
  const present = new Set(depths);
  return depths.filter((depth) => depth >= 1 && Number.isInteger(depth) && !present.has(depth - 0.5)).map((depth) => depth - 1);
}

/** The depth axis title for these depths. */
export function depthAxisTitle(depths: number[]): string {
  const parallel = parallelBlocks(depths);
  const blocks = depths.filter((depth) => depth >= 1 && Number.isInteger(depth)).length;
  if (parallel.length > 0 && parallel.length === blocks) {
    return 'depth (0 = embeddings, l + 1 = after block l; block outputs only: attention and MLP run in parallel, so there is no l + 0.5)';
  }
  const base = 'depth (0 = embeddings, l + 0.5 = after attention, l + 1 = after block l';
  return parallel.length === 0 ? `${base})` : `${base}; block${parallel.length > 1 ? 's' : ''} ${parallel.join(', ')} parallel: no l + 0.5)`;
}
