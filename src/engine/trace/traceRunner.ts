/**
 * Runs the same probe prompts through every checkpoint, one model at a time (each session is
 * released before the next opens), and caches each checkpoint's result under its content identity
 * (traceCache.ts), so that an interrupted trace resumes where it stopped, reruns cost nothing, and
 * the shards of a trace measured elsewhere into the same cache are assembled without recomputing.
 */
import type { PromptInput } from '../api';
import { Analyzer } from '../analyzer';
import { throwIfAborted } from '../errors';
import { DEFAULT_EPSILON } from '../../protocol/measures';
import { circuitVerdict, uniformBaseline } from '../metrics';
import type { Device } from '../../protocol/report';
import { mean, meanOrNull } from '../analyses/vectors';
import { TRACE_SCHEMA, type Checkpoint, type TraceCheckpoint, type TraceDocument, type TracePromptResult } from '../../protocol/trace';
import { checkpointIdentity } from './checkpointIdentity';
import { modelPathOf } from './checkpoints';
import { TraceCache, type Measurement } from './traceCache';

/** Bump when a cached checkpoint's numbers would be computed differently (2: concentration null without growth). */
const TRACE_MEASURES = 2;

export interface TraceOptions {
  prompts: string[];
  device: Device;
  epsilon?: number;
  /** Prepend BOS (default: as each checkpoint's tokenizer config says). */
  addBos?: boolean;
  cacheFolder: string;
  signal?: AbortSignal;
  /** Called after each checkpoint, with whether it came from the cache. */
  onCheckpoint?: (checkpoint: TraceCheckpoint, index: number, total: number, cached: boolean) => void;
  /** A cache entry that could not be used (and is measured again), in one line. */
  onNote?: (line: string) => void;
}

export async function runTrace(checkpoints: Checkpoint[], options: TraceOptions): Promise<TraceDocument> {
  const epsilon = options.epsilon ?? DEFAULT_EPSILON;
  // `measures` names what a cached result holds: results of an earlier definition are measured again.
  const cache = new TraceCache(options.cacheFolder, JSON.stringify({ prompts: options.prompts, epsilon, bos: options.addBos ?? null, device: options.device, measures: TRACE_MEASURES }));
  const results: TraceCheckpoint[] = [];
  for (const [index, checkpoint] of checkpoints.entries()) {
    throwIfAborted(options.signal);
    const hash = await checkpointIdentity(checkpoint, options.cacheFolder);
    const lookup = cache.read(hash);
    if (lookup.kind === 'unreadable') options.onNote?.(`step ${checkpoint.step}: the cached result ${lookup.file} cannot be used (${lookup.reason}); measuring it again`);
    const measurement = lookup.kind === 'hit' ? lookup.measurement : await measureCheckpoint(checkpoint, options, epsilon);
    if (lookup.kind !== 'hit') cache.write(hash, measurement);
    const result: TraceCheckpoint = { step: checkpoint.step, path: checkpoint.path, source: checkpoint.source ?? { kind: 'local', path: checkpoint.path }, hash, ...measurement };
    results.push(result);
    options.onCheckpoint?.(result, index, checkpoints.length, lookup.kind === 'hit');
  }
  return { schema: TRACE_SCHEMA, prompts: options.prompts, epsilon, bos: options.addBos ?? null, checkpoints: results };
}

async function measureCheckpoint(checkpoint: Checkpoint, options: TraceOptions, epsilon: number): Promise<Measurement> {
  const analyzer = await Analyzer.open(modelPathOf(checkpoint), { device: options.device, sharedTokenizer: checkpoint.tokenizer });
  try {
    const analyzeOptions = { addBos: options.addBos ?? analyzer.addsBosByDefault, epsilon, signal: options.signal };
    const logits = analyzer.logitsOutput;
    const prompts: TracePromptResult[] = [];
    const sinkScores: number[][][] = [];
    const baselines: number[] = [];
    let depths: number[] = [];
    for (const text of options.prompts) {
      throwIfAborted(options.signal);
      const input: PromptInput = { kind: 'text', text, source: 'trace' };
      const prompt = await analyzer.tokenize(input, analyzeOptions);
      const ids = prompt.tokens.map((token) => token.id);
      const probes = await analyzer.probe({ rows: [ids], extraOutputs: logits ? [logits] : [] });
      const report = analyzer.report(probes, 0, input, prompt, analyzeOptions);
      depths = report.residual.depths;
      sinkScores.push(report.attention.sinkScore);
      baselines.push(uniformBaseline(ids.length));
      prompts.push({
        sinkRate: report.attention.sinkRate,
        p0NormRatio: report.residual.p0NormRatio,
        circuit: report.circuit,
        loss: logits ? nextTokenLoss(probes.extra[logits], ids, analyzer.model.vocabSize) : NaN,
      });
    }
    const p0NormRatio = depths.map((_, d) => meanOrNull(prompts.map((prompt) => prompt.p0NormRatio[d])));
    const meanScores = sinkScores[0].map((heads, l) => heads.map((_, h) => mean(sinkScores.map((scores) => scores[l][h]))));
    const verdict = circuitVerdict(depths, p0NormRatio, meanScores, epsilon, mean(baselines));
    return {
      executionProvider: analyzer.executionProvider,
      depths,
      sinkRate: { all: mean(prompts.map((p) => p.sinkRate.all)), fromLayer2: meanOrNull(prompts.map((p) => p.sinkRate.fromLayer2)) },
      formationDepth: verdict.formationDepth,
      sinkOnsetLayer: verdict.sinkOnsetLayer,
      concentration: verdict.concentration,
      concentrationNullReason: verdict.concentrationNullReason ?? null,
      p0NormRatio,
      loss: mean(prompts.map((prompt) => prompt.loss)),
      prompts,
    };
  } finally {
    await analyzer.dispose();
  }
}

/** Mean cross-entropy (nats) of each next token under the logits [T, V]. */
export function nextTokenLoss(logits: Float32Array, ids: number[], vocab: number): number {
  let total = 0;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(t * vocab, (t + 1) * vocab);
    let max = -Infinity;
    for (const value of row) if (value > max) max = value;
    let sum = 0;
    for (const value of row) sum += Math.exp(value - max);
    total += max + Math.log(sum) - row[ids[t + 1]];
  }
  return total / (ids.length - 1);
}
