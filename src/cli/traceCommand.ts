/**
 * `sink-lens trace`: sink metrics across a training run's checkpoints, for dashboards and for
 * pipelines (`--jsonl` appends one line per newly measured checkpoint; `--fail-if` sets exit 1).
 * `--shard I/N` measures one share of the checkpoints into the shared `--cache` and writes no
 * document; the same command without `--shard` then assembles the trace from that cache.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { discoverCheckpoints } from '../engine/trace/checkpoints';
import { parseCondition } from '../engine/trace/traceConditions';
import { parseShard, shareOf, type Shard } from '../engine/trace/traceShards';
import { traceCsv, type TraceCheckpoint } from '../protocol/trace';
import { runTrace } from '../engine/trace/traceRunner';
import { CONCENTRATION_NULL_REASONS } from '../protocol/report';
import { parseCommand, usage } from './analyzeArgs';
import { renderTraceHtml } from './htmlReport';
import { readPromptsFile } from '../engine/promptsFile';

export const TRACE_CONDITION_EXIT = 1;

const note = (line: string) => process.stderr.write(`sink-lens: ${line}\n`);

export async function traceCommand(argv: string[]): Promise<number> {
  const { values, common } = parseCommand(argv, {
    checkpoints: { type: 'string' },
    revisions: { type: 'string' },
    shard: { type: 'string' },
    csv: { type: 'string' },
    html: { type: 'string' },
    jsonl: { type: 'string' },
    cache: { type: 'string' },
    'fail-if': { type: 'string', multiple: true },
  });
  if (values.checkpoints === undefined) throw usage('trace needs --checkpoints DIR|GLOB|org/name');
  if (values.prompts === undefined) throw usage('trace needs --prompts FILE');
  const shard = values.shard === undefined ? null : parseShard(String(values.shard));
  const conditions = ((values['fail-if'] as unknown as string[] | undefined) ?? []).map(parseCondition);
  if (shard) checkShardArguments(values, conditions.length > 0);
  const revisions = values.revisions === undefined ? undefined : String(values.revisions).split(',');
  const checkpoints = discoverCheckpoints(String(values.checkpoints), { revisions, onNote: note });
  const prompts = readPromptsFile(String(values.prompts)).map((input) => (input.kind === 'text' ? input.text : ''));
  const out = common.out;
  const cacheFolder = resolve(String(values.cache ?? join(out ? dirname(resolve(out)) : '.', '.sink-lens-trace-cache')));
  const share = shard ? shareOf(checkpoints, shard) : checkpoints;
  const label = shard ? `shard ${shard.index}/${shard.count} ` : '';

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const measured: TraceCheckpoint[] = [];
  const trace = await runTrace(share, {
    prompts,
    device: common.device,
    epsilon: common.epsilon,
    addBos: common.addBos,
    cacheFolder,
    signal: controller.signal,
    onNote: note,
    onCheckpoint: (checkpoint, index, total, cached) => {
      const rate = (value: number | null) => (value === null ? 'n/a' : value.toFixed(2));
      const reason = checkpoint.concentrationNullReason;
      const share = checkpoint.concentration === null ? `n/a${reason ? ` (${CONCENTRATION_NULL_REASONS[reason]})` : ''}` : checkpoint.concentration.toFixed(2);
      process.stderr.write(
        `${label}[${index + 1}/${total}] step ${checkpoint.step}: sinkRate ${rate(checkpoint.sinkRate.all)} (from layer 2: ${rate(checkpoint.sinkRate.fromLayer2)}), ` +
          `max P0 ratio ${Math.max(...checkpoint.p0NormRatio.map((r) => r ?? 0)).toFixed(2)}, concentration ${share}, loss ${checkpoint.loss.toFixed(3)}${cached ? ' (cached)' : ''}\n`,
      );
      if (cached) return;
      measured.push(checkpoint);
      if (values.jsonl) {
        mkdirSync(dirname(resolve(String(values.jsonl))), { recursive: true });
        appendFileSync(String(values.jsonl), `${JSON.stringify(checkpoint)}\n`);
      }
    },
  });
  if (shard) {
    process.stdout.write(`${shardSummary(shard, checkpoints.length, trace.checkpoints, measured, cacheFolder)}\n`);
    return 0;
  }
  process.stderr.write(`sink-lens: ${assemblySummary(trace.checkpoints, measured)}\n`);
  if (out) {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, `${JSON.stringify(trace, null, 1)}\n`);
    process.stdout.write(`wrote ${out}\n`);
  }
  if (values.html) {
    mkdirSync(dirname(resolve(String(values.html))), { recursive: true });
    writeFileSync(String(values.html), renderTraceHtml(trace, String(values.checkpoints)));
    process.stdout.write(`wrote ${values.html}\n`);
  }
  if (values.csv) {
    writeFileSync(String(values.csv), traceCsv(trace));
    process.stdout.write(`wrote ${values.csv}\n`);
  }
  const newest = trace.checkpoints[trace.checkpoints.length - 1];
  const held = conditions.filter((condition) => condition.holds(newest));
  for (const condition of held) process.stderr.write(`sink-lens: --fail-if '${condition.text}' holds at step ${newest.step}\n`);
  return held.length > 0 ? TRACE_CONDITION_EXIT : 0;
}

/** A shard measures into the shared cache and nothing else: the document is the assembly's. */
function checkShardArguments(values: Record<string, unknown>, failIf: boolean): void {
  if (values.cache === undefined) throw usage('--shard needs --cache DIR: the folder every shard and the final assembly share');
  const documents = ['out', 'html', 'csv'].filter((option) => values[option] !== undefined).map((option) => `--${option}`);
  if (failIf) documents.push('--fail-if');
  if (documents.length > 0) {
    throw usage(
      `--shard measures its share into --cache and writes no trace: drop ${documents.join(', ')} here and give ${documents.length === 1 ? 'it' : 'them'} to the final trace without --shard, which assembles the document from the cache`,
    );
  }
}

const steps = (checkpoints: TraceCheckpoint[]) => checkpoints.map((checkpoint) => checkpoint.step).join(', ');

function shardSummary(shard: Shard, total: number, share: TraceCheckpoint[], measured: TraceCheckpoint[], cacheFolder: string): string {
  const name = `shard ${shard.index}/${shard.count}`;
  if (share.length === 0) return `${name}: no checkpoints to measure (${total} checkpoint${total === 1 ? '' : 's'} over ${shard.count} shards)`;
  return (
    `${name}: steps ${steps(share)} of ${total} checkpoints are in ${cacheFolder} (${measured.length} measured now, ${share.length - measured.length} already there); ` +
    'assemble the trace with the same command without --shard'
  );
}

function assemblySummary(checkpoints: TraceCheckpoint[], measured: TraceCheckpoint[]): string {
  const cached = checkpoints.length - measured.length;
  if (measured.length === 0) return `${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}, all from the cache`;
  if (cached === 0) return `${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}, all measured now`;
  return `${checkpoints.length} checkpoints: ${cached} from the cache, ${measured.length} measured now (step${measured.length === 1 ? '' : 's'} ${steps(measured)} had no usable entry there)`;
}
