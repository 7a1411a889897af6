/**
 * `sink-lens`: the engine, headless, for scripts and training pipelines.
 * Exit codes: 0 ok, 2 bad arguments, 3 model or graph problem, 4 runtime failure.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Analyzer, bundledModelPath } from './engine/analyzer';
import { isModelIn } from './engine/model/modelFiles';
import { EXIT_CODES, SinkLensError, asSinkLensError } from './engine/errors';
import type { SinkReport } from './protocol/report';
import { formatSummary } from './cli/summaryText';
import { AnalyzeCommand, parseAnalyzeArgs, parseCommand } from './cli/analyzeArgs';
import { inspectModel } from './engine/model/inspectModel';
import { formatInspection } from './cli/inspectText';
import { ANALYSIS_COMMANDS } from './cli/analysisCommands';
import { traceCommand } from './cli/traceCommand';
import { renderReportHtml } from './cli/htmlReport';
import { DEFAULT_EPSILON } from './protocol/measures';

const HELP = `sink-lens: where does a language model's attention sink form?

Usage:
  sink-lens analyze [--model PATH] (--prompt TEXT | --prompt-file F | --ids 1,2,3)
                    [--no-bos] [--bos-id N] [--device auto|cuda|cpu] [--epsilon ${DEFAULT_EPSILON}]
                    [--max-tokens N [--truncate]] [--out report.json] [--html report.html]
  sink-lens compare-bos [--model PATH] (--prompt TEXT | --prompt-file F)   with and without BOS
  sink-lens batch       [--model PATH] --prompts FILE [--positions 8]      many prompts: cross-input cosine
  sink-lens ablate      [--model PATH] (--prompts FILE | --prompt TEXT) (--ablate 0:3,0:5 | --sweep-layer 0)
  sink-lens substitute  [--model PATH] (--prompt TEXT | --ids …)          replace the first token
  sink-lens trace       --checkpoints DIR|GLOB|org/name --prompts FILE [--out trace.json] [--csv trace.csv]
                        [--html trace.html] [--jsonl new.jsonl] [--fail-if "sinkRate.fromLayer2 < 0.5"] [--cache DIR]
                        [--revisions step0,step1000,…]   a hub model's stepN revisions (default: all in the cache)
                        [--shard I/N --cache DIR]        measure only share I (0-based) of N into the shared cache
  sink-lens inspect     --model PATH   what the model is (architecture, layers, heads, dtype, attention path;
                                       the layer layout recognised: attention, window, norms, residual
                                       form, rotary fraction, MLP per layer; for a checkpoint: its
                                       files and the graph built for it)
  sink-lens demo        analyse the bundled demo model on its first sample prompt

  Every command takes --device, --epsilon, --no-bos, --bos-id, --max-tokens and --out FILE (JSON).
  --prompts FILE: one prompt per line, or JSONL with {"text": …} per line (.jsonl).

  --model   a folder with model.onnx (+ tokenizer.json, config.json) or an .onnx file; a Hugging
            Face checkpoint folder (config.json + safetensors); or a hub id org/name[@revision]
            in the local hub cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub);
            default: the bundled demo model
  --ids     token ids used exactly as given (no BOS is added)
  --out     write the sink-lens/report@1 JSON there instead of printing the summary
  --html    write the report as one self-contained HTML page with the panel's charts

Exit codes: 0 ok, 1 a --fail-if condition held, 2 bad arguments, 3 model or graph problem,
4 runtime failure, 130 interrupted.`;

/** Whether --model names the bundled demo model (or is absent: the demo model is the default). */
function isDemoModel(model: string | undefined): boolean {
  return model === undefined || isModelIn(model, bundledModelPath());
}

/** Analyses the prompt; with `html`, also renders the report page (which needs the open model for its maps). */
async function analyze(command: AnalyzeCommand, html?: string): Promise<SinkReport> {
  const analyzer = await Analyzer.open(command.model ?? bundledModelPath(), { device: command.device });
  try {
    const options = {
      addBos: command.addBos ?? analyzer.addsBosByDefault,
      bosId: command.bosId,
      epsilon: command.epsilon,
      maxTokens: command.maxTokens,
      truncate: command.truncate,
    };
    const report = await analyzer.analyze(command.input, options);
    if (html) writeText(html, await renderReportHtml(analyzer, command.input, options, report, { demoModel: isDemoModel(command.model) }));
    return report;
  } finally {
    await analyzer.dispose();
  }
}

function writeText(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileSync(path, text);
}

function writeJson(path: string, document: unknown): void {
  writeText(path, `${JSON.stringify(document, null, 1)}\n`);
}

function outPath(argv: string[]): string | undefined {
  const index = argv.indexOf('--out');
  return index >= 0 ? argv[index + 1] : argv.find((arg) => arg.startsWith('--out='))?.slice('--out='.length);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined ? EXIT_CODES.usage : 0;
  }
  if (command === 'analyze') {
    const parsed = parseAnalyzeArgs(rest);
    const report = await analyze(parsed, parsed.html);
    if (parsed.html) process.stdout.write(`wrote ${parsed.html}\n`);
    if (parsed.out) {
      writeJson(parsed.out, report);
      process.stdout.write(`wrote ${parsed.out}\n`);
    } else if (!parsed.html) {
      process.stdout.write(`${formatSummary(report, { demoModel: isDemoModel(parsed.model) })}\n`);
    }
    return 0;
  }
  if (command === 'trace') return traceCommand(rest);
  if (command === 'inspect') {
    const { common } = parseCommand(rest);
    const summary = inspectModel(common.model ?? bundledModelPath());
    if (common.out) writeJson(common.out, summary);
    else process.stdout.write(formatInspection(summary));
    return 0;
  }
  const analysis = ANALYSIS_COMMANDS[command];
  if (analysis) {
    const { document, summary } = await analysis(rest);
    if (outPath(rest)) {
      writeJson(outPath(rest)!, document);
      process.stdout.write(`wrote ${outPath(rest)}\n`);
    } else {
      process.stdout.write(`${summary}\n`);
    }
    return 0;
  }
  if (command === 'demo') {
    if (rest.length > 0) throw new SinkLensError('usage', 'bad-arguments', 'demo takes no arguments');
    const model = bundledModelPath();
    const sample = readFileSync(join(model, 'samples.txt'), 'utf8')
      .split('\n')
      .find((line) => line.trim());
    if (!sample) throw new SinkLensError('model', 'no-samples', `${join(model, 'samples.txt')} has no sample prompt`);
    const html = resolve('sink-lens-demo', 'report.html');
    const report = await analyze({ ...parseAnalyzeArgs(['--prompt', sample]), model }, html);
    process.stdout.write(`${formatSummary(report, { demoModel: true })}\n\n`);
    const out = resolve('sink-lens-demo', 'report.json');
    writeJson(out, report);
    process.stdout.write(`Report written to ${out}\nThe same report with its charts: ${html} (open it in a browser)\n`);
    return 0;
  }
  throw new SinkLensError('usage', 'unknown-command', `unknown command '${command}'; use analyze or demo`);
}

// `sink-lens … | head`: the reader may close the pipe before everything is written. That only
// ends the output early, so it ends the process quietly, whatever the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const failure = error instanceof SinkLensError ? error : asSinkLensError(error);
    // The engine says what is missing; the way to pass ids is the CLI's own.
    const hint = failure.code === 'no-tokenizer' ? ' (--ids 1,17,5 with analyze or substitute)' : '';
    process.stderr.write(`sink-lens: ${failure.message}${hint}\n`);
    if (process.env.SINK_LENS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exit(EXIT_CODES[failure.category]);
  },
);
