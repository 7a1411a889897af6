/**
 * The `sink-lens/report@1` document (see docs/REPORT.md): what the engine writes, the CLI saves, the
 * worker sends (typed: runReport.ts) and the panels draw. Every per-position array has length T = tokens.length.
 * Quantities are defined in docs/ANALYSES.md. Types only, shared by every part of Sink Lens.
 */
import type { ModelLayout } from './layerLayout';

export const REPORT_SCHEMA = 'sink-lens/report@1';

export type Device = 'auto' | 'cuda' | 'cpu';
export type ExecutionProvider = 'cuda' | 'cpu';
export type AttentionPath = 'softmax' | 'fused-qk-output' | 'recomputed';

export interface ModelSummary {
  path: string;
  architecture: string;
  layers: number;
  heads: number;
  kvHeads: number | null;
  hiddenSize: number;
  vocabSize: number;
  attention: AttentionPath;
  bosTokenId: number | null;
  dtype: string;
  /** Layers that use sliding-window attention according to the config (none for most models). */
  slidingWindowLayers: number[];
  /** config.json's torch_dtype: the precision the weights were saved in (null when no config says). */
  torchDtype?: string | null;
  /** Where a Hugging Face checkpoint came from and the graph built for it; null for an ONNX model. */
  checkpoint?: CheckpointSource | null;
  /** The layer layout Sink Lens recognised (protocol/layerLayout.ts): attention, windows, norms, residual form, rotary fraction, MLP kind. */
  layout?: ModelLayout;
}

export interface CheckpointSource {
  format: 'safetensors';
  /** The checkpoint folder (for a hub id, its snapshot folder). */
  folder: string;
  /** For a model named by hub id: the repository, the revision asked for (null: main), the commit it resolved to. */
  hubId: string | null;
  revision: string | null;
  commit: string | null;
  /** The ONNX graph Sink Lens built for it, in its cache. */
  builtGraph: string;
}

export interface RuntimeSummary {
  executionProvider: ExecutionProvider;
  fallbackReason: string | null;
  onnxruntime: string;
  timingsMs: { load: number; tokenize: number; run: number; summarize: number };
}

export interface PromptSummary {
  /** null when the caller gave token ids instead of text. */
  text: string | null;
  source: string;
  bos: boolean;
}

export interface ReportToken {
  id: number;
  text: string;
  /** UTF-16 offsets into prompt.text; start === end for tokens with no source text (BOS, an inserted '▁'). */
  start: number;
  end: number;
  special: boolean;
}

export interface ResidualSection {
  /** 0, then l + 0.5 and l + 1 for every block l; a parallel block (model.layout) has no state after its attention, so only l + 1. */
  depths: number[];
  /** [depth][position]; null where the graph does not compute that depth at that position (a `partial-positions` warning says so). */
  norms: (number | null)[][];
  p0NormRatio: (number | null)[];
  /** Mean over t >= 1 of cos(h[d][0], h[d][t]), per depth; null below two tokens. */
  p0Separation: (number | null)[];
}

export interface AttentionSection {
  firstTokenAttention: number[][][];
  /** [layer][key]: (1/(H·T)) Σ_h Σ_q A[l,h,q,k], the attention each position receives. Absent in reports written before it existed. */
  received?: number[][];
  sinkScore: number[][];
  uniformBaseline: number;
  sinkRate: { epsilon: number; all: number; fromLayer2: number | null };
}

export interface MassiveActivation {
  depth: number;
  position: number;
  top: { dim: number; value: number }[];
  /** Sun et al.'s reference magnitude: the lower median of |h[depth]| over the whole layer output (all positions and dims). */
  median: number;
  /** The lower median of |h[depth][position]| over this one position's dims. Absent in reports written before it existed (their `median` was this). */
  rowMedian?: number;
  /** Top magnitude > 100 and >= 1000 x `median`. */
  massive: boolean;
}

export interface CircuitVerdict {
  formationDepth: number | null;
  sinkOnsetLayer: number | null;
  withinTwoBlocks: boolean;
  /** Null where there is no growth to share; `concentrationNullReason` says why. */
  concentration: number | null;
  /** Why concentration is null (docs/ANALYSES.md); null when it is a number. Absent in reports written before it existed. */
  concentrationNullReason?: ConcentrationNullReason | null;
}

export type ConcentrationNullReason = 'no-formation' | 'no-depth-2' | 'no-growth';

/** Why concentration is null, in words (the CLI and the trace panel). */
export const CONCENTRATION_NULL_REASONS: Record<ConcentrationNullReason, string> = {
  'no-formation': "P0's norm ratio never holds at 2x the others' median (no formation depth): no growth to share",
  'no-depth-2': 'the model has fewer than two blocks: there is no depth 2',
  'no-growth': "P0's norm ratio never rises above its depth-0 value: no growth to share",
};

export interface ReportWarning {
  code: string;
  message: string;
}

export interface SinkReport {
  schema: typeof REPORT_SCHEMA;
  model: ModelSummary;
  runtime: RuntimeSummary;
  prompt: PromptSummary;
  tokens: ReportToken[];
  residual: ResidualSection;
  attention: AttentionSection;
  massiveActivations: MassiveActivation[];
  /** norms is null for a mixture-of-experts layer, which has no single MLP activation (with a warning); a norm is null at a position the graph does not compute. */
  mlp: { layers: { layer: number; norms: (number | null)[] | null }[] };
  circuit: CircuitVerdict;
  warnings: ReportWarning[];
}
