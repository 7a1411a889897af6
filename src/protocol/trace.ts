/**
 * `sink-lens/trace@1` (docs/TRACE.md): the sink metrics of one training run's checkpoints against
 * the step, as the engine writes it, the CLI saves it and the trace panel draws it; and its CSV.
 */
import type { CircuitVerdict, ConcentrationNullReason } from './report';

/**
 * Where a checkpoint came from: a revision of a model in the local Hugging Face hub cache (a branch
 * such as Pythia's `step1000`, and the commit it pointed at when the trace found it), or a file or
 * folder (an ONNX model, a safetensors checkpoint such as a Trainer's `checkpoint-1000/`).
 */
export type CheckpointSource = { kind: 'hub'; repoId: string; revision: string; commit: string } | { kind: 'local'; path: string };

/** One checkpoint of a training run, as found on disk (the engine's discoverCheckpoints). */
export interface Checkpoint {
  step: number;
  /** A model folder or .onnx file, or a hub id `org/name@revision`, as the Analyzer opens it. */
  path: string;
  /** A tokenizer.json shared by every checkpoint (the manifest's "tokenizer"), when they have none of their own. */
  tokenizer?: string;
  source?: CheckpointSource;
}

export const TRACE_SCHEMA = 'sink-lens/trace@1';

export interface TracePromptResult {
  sinkRate: { all: number; fromLayer2: number | null };
  p0NormRatio: (number | null)[];
  circuit: CircuitVerdict;
  /** Mean next-token cross-entropy (nats) over the prompt. */
  loss: number;
}

export interface TraceCheckpoint {
  step: number;
  path: string;
  /** Absent in traces written before sources were recorded. */
  source?: CheckpointSource;
  /** The checkpoint's content identity (sha256 over its files' content hashes, docs/TRACE.md): the cache key. */
  hash: string;
  executionProvider: string;
  depths: number[];
  /** Per-prompt indicators averaged. */
  sinkRate: { all: number; fromLayer2: number | null };
  /** The verdict on the prompt-averaged P0 norm ratio and sink scores. */
  formationDepth: number | null;
  sinkOnsetLayer: number | null;
  concentration: number | null;
  /** Why concentration is null (docs/ANALYSES.md): 'no-formation' | 'no-depth-2' | 'no-growth'; null when it is a number. Absent in traces written before it existed. */
  concentrationNullReason?: ConcentrationNullReason | null;
  p0NormRatio: (number | null)[];
  loss: number;
  prompts: TracePromptResult[];
}

export interface TraceDocument {
  schema: typeof TRACE_SCHEMA;
  prompts: string[];
  epsilon: number;
  /** Whether BOS was prepended; null: as each checkpoint's tokenizer config says. */
  bos: boolean | null;
  checkpoints: TraceCheckpoint[];
}

export function traceCsv(trace: TraceDocument): string {
  const depths = trace.checkpoints[0]?.depths ?? [];
  const header = ['step', 'sinkRate_all', 'sinkRate_fromLayer2', 'formationDepth', 'sinkOnsetLayer', 'concentration', 'loss', ...depths.map((d) => `p0NormRatio_${d}`)];
  const cell = (value: number | null) => (value === null ? '' : String(value));
  const rows = trace.checkpoints.map((c) => [c.step, c.sinkRate.all, c.sinkRate.fromLayer2, c.formationDepth, c.sinkOnsetLayer, c.concentration, c.loss, ...c.p0NormRatio].map(cell).join(','));
  return `${[header.join(','), ...rows].join('\n')}\n`;
}
