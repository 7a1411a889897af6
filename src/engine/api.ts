/**
 * The engine's public surface, used by the CLI and by the extension's worker. Plain Node: nothing
 * here may import `vscode`.
 */
export type { PromptInput } from '../protocol/inputs';

export interface AnalyzeOptions {
  /** Prepend the model's BOS token (ignored for `ids`, which are used exactly as given). */
  addBos: boolean;
  /** Override the BOS id the model declares. */
  bosId?: number;
  /** Threshold for sinkRate (default DEFAULT_EPSILON, src/protocol/measures.ts). */
  epsilon?: number;
  /** Prompts longer than this many tokens (or the model's context) are refused (0 = no limit)… */
  maxTokens?: number;
  /** …unless `truncate` is set: then the first tokens are kept and the report warns. */
  truncate?: boolean;
  /** Aborting stops the run between stages and rejects with `CancelledError`. */
  signal?: AbortSignal;
}

/** One layer's full attention probabilities, row-major [heads][query][key]. */
export interface AttentionMaps {
  layer: number;
  heads: number;
  tokens: number;
  data: Float32Array;
}
