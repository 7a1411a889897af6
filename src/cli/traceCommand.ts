/**
 * `sink-lens trace`: sink metrics across a training run's checkpoints, for dashboards and for
 * pipelines (`--jsonl` appends one line per newly measured checkpoint; `--fail-if` sets exit 1).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CONCENTRATION_NULL_REASONS } from '../engine/metrics';
import { discoverCheckpoints } from '../engine/trace/checkpoints';
import { parseCondition } from '../engine/trace/traceConditions';
import { traceCsv } from '../protocol/trace';
import { runTrace } from '../engine/trace/traceRunner';
import { parseCommand, usage } from './analyzeArgs';
import { renderTraceHtml } from './htmlReport';
import { readPromptsFile } from '../engine/promptsFile';

export const TRACE_CONDITION_EXIT = 1;

export async function traceCommand(argv: string[]): Promise<number> {
  const { values, common } = parseCommand(argv, {
    checkpoints: { type: 'string' },
    csv: { type: 'string' },
    html: { type: 'string' },
    jsonl: { type: 'string' },
    cache: { type: 'string' },
    'fail-if': { type: 'string', multiple: true },
  });
  if (values.checkpoints === undefined) throw usage('trace needs --checkpoints DIR|GLOB');
  if (values.prompts === undefined) throw usage('trace needs --prompts FILE');
  const conditions = ((values['fail-if'] as unknown as string[] | undefined) ?? []).map(parseCondition);
  const checkpoints = discoverCheckpoints(String(values.checkpoints));
  const prompts = readPromptsFile(String(values.prompts)).map((input) => (input.kind === 'text' ? input.text : ''));
  const out = common.out;
  const cacheFolder = resolve(String(values.cache ?? join(out ? dirname(resolve(out)) : '.', '.sink-lens-trace-cache')));

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const trace = await runTrace(checkpoints, {
    prompts,
    device: common.device,
    epsilon: common.epsilon,
    addBos: common.addBos,
    cacheFolder,
    signal: controller.signal,
    onCheckpoint: (checkpoint, index, total, cached) => {
      const rate = (value: number | null) => (value === null ? 'n/a' : value.toFixed(2));
      const reason = checkpoint.concentrationNullReason;
      const share = checkpoint.concentration === null ? `n/a${reason ? ` (${CONCENTRATION_NULL_REASONS[reason]})` : ''}` : checkpoint.concentration.toFixed(2);
      process.stderr.write(
        `[${index + 1}/${total}] step ${checkpoint.step}: sinkRate ${rate(checkpoint.sinkRate.all)} (from layer 2: ${rate(checkpoint.sinkRate.fromLayer2)}), ` +
          `max P0 ratio ${Math.max(...checkpoint.p0NormRatio.map((r) => r ?? 0)).toFixed(2)}, concentration ${share}, loss ${checkpoint.loss.toFixed(3)}${cached ? ' (cached)' : ''}\n`,
      );
      if (!cached && values.jsonl) {
        mkdirSync(dirname(resolve(String(values.jsonl))), { recursive: true });
        appendFileSync(String(values.jsonl), `${JSON.stringify(checkpoint)}\n`);
      }
    },
  });
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
