/**
 * The documents of the paper's multi-run analyses (docs/BATCH.md): `sink-lens/batch@1`,
 * `ablation@1`, `substitution@1` and `bos-comparison@1`, as the engine writes them, the CLI saves
 * them and the Sink Analyses panel draws them; and the one rule the panel shows beside them
 * (whether a first-token substitution keeps the sink), written once for the engine and the panel.
 */
import type { CircuitVerdict, MassiveActivation, ModelSummary, RuntimeSummary, SinkReport } from './report';

export const BATCH_SCHEMA = 'sink-lens/batch@1';
export const ABLATION_SCHEMA = 'sink-lens/ablation@1';
export const SUBSTITUTION_SCHEMA = 'sink-lens/substitution@1';
export const BOS_COMPARISON_SCHEMA = 'sink-lens/bos-comparison@1';

export interface SinkRatePair {
  all: number;
  fromLayer2: number | null;
}

// ---- many prompts ------------------------------------------------------------------------------

export interface BatchPromptSummary {
  text: string | null;
  source: string;
  tokens: number;
  sinkRate: SinkRatePair;
  p0NormRatio: (number | null)[];
  circuit: CircuitVerdict;
}

export interface BatchDocument {
  schema: typeof BATCH_SCHEMA;
  model: ModelSummary;
  runtime: Pick<RuntimeSummary, 'executionProvider' | 'fallbackReason' | 'onnxruntime'>;
  epsilon: number;
  prompts: BatchPromptSummary[];
  /** Per-prompt sink rates, averaged (never a threshold of averaged scores). */
  sinkRate: SinkRatePair;
  crossInputCosine: { depths: number[]; positions: number[]; values: (number | null)[][] };
  p0Separation: (number | null)[];
  meanP0Hidden: MassiveActivation[];
  /** The first depth whose mean P0 state has a massive activation; null if none. */
  firstMassiveDepth: number | null;
  /** Layers 0 and 1, where they have a single MLP activation (not a mixture of experts). */
  mlp: { layer: number; crossInputCosineP0: number | null; meanTopDimsP0: { dim: number; value: number }[] }[];
  reports?: SinkReport[];
}

// ---- head ablation -----------------------------------------------------------------------------

export interface HeadRef {
  layer: number;
  head: number;
}

export const headLabel = (heads: HeadRef[]) => (heads.length === 0 ? 'baseline' : heads.map((ref) => `L${ref.layer}H${ref.head}`).join('+'));

export interface AblationVariant {
  label: string;
  heads: HeadRef[];
  /** Means over prompts. */
  p0NormRatio: (number | null)[];
  sinkRate: { all: number | null; fromLayer2: number | null };
  /** Per depth, across prompts (null with a single prompt). */
  crossInputCosineP0: (number | null)[];
  /** MLP activation at P0 across prompts, layers 0 and 1. */
  mlpCosineP0: (number | null)[];
}

export interface AblationDocument {
  schema: typeof ABLATION_SCHEMA;
  prompts: number;
  depths: number[];
  baseline: AblationVariant;
  variants: AblationVariant[];
}

// ---- first-token substitution ------------------------------------------------------------------

export interface SubstitutionVariant {
  label: string;
  firstTokenId: number;
  firstTokenText: string;
  /** The variant's report's sinkRate; its ε is there in every document this engine writes. */
  sinkRate: SinkRatePair & { epsilon?: number };
  /** Mean over heads of the sink score, per layer. */
  meanSinkScore: number[];
  /** Mean sink score over layers >= 1: the strength this analysis compares. */
  sinkStrength: number;
  p0NormRatio: (number | null)[];
}

export type SubstitutionFinding = 'follows-position' | 'follows-token' | 'mixed' | 'no-sink';

export interface SubstitutionDocument {
  schema: typeof SUBSTITUTION_SCHEMA;
  uniformBaseline: number;
  variants: SubstitutionVariant[];
  finding: SubstitutionFinding;
  explanation: string;
}

/** A sink at all: the strength is above ε and above twice the uniform share. */
export function hasSink(strength: number, epsilon: number, uniformBaseline: number): boolean {
  return strength > epsilon && strength > 2 * uniformBaseline;
}

/** docs/BATCH.md: a replacement keeps the sink when its strength is at least half the original's and it has a sink. */
export function keepsSink(strength: number, originalStrength: number, epsilon: number, uniformBaseline: number): boolean {
  return strength >= 0.5 * originalStrength && hasSink(strength, epsilon, uniformBaseline);
}

// ---- with and without BOS ----------------------------------------------------------------------

export interface BosComparison {
  schema: typeof BOS_COMPARISON_SCHEMA;
  withBos: SinkReport;
  withoutBos: SinkReport;
  sinkRate: { withBos: SinkRatePair; withoutBos: SinkRatePair };
}
