/** Parses `sink-lens analyze` arguments into engine inputs; every mistake is a usage error. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PromptInput } from '../engine/api';
import { SinkLensError } from '../engine/errors';
import type { Device } from '../engine/report';

export interface AnalyzeCommand {
  model: string | undefined;
  input: PromptInput;
  addBos: boolean | undefined;
  bosId: number | undefined;
  device: Device;
  epsilon: number | undefined;
  maxTokens: number | undefined;
  out: string | undefined;
  html: string | undefined;
}

const usage = (message: string) => new SinkLensError('usage', 'bad-arguments', `${message} (see sink-lens --help)`);

export function parseAnalyzeArgs(argv: string[]): AnalyzeCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        prompt: { type: 'string' },
        'prompt-file': { type: 'string' },
        ids: { type: 'string' },
        'no-bos': { type: 'boolean' },
        'bos-id': { type: 'string' },
        device: { type: 'string', default: 'auto' },
        epsilon: { type: 'string' },
        'max-tokens': { type: 'string' },
        out: { type: 'string' },
        html: { type: 'string' },
      },
    });
  } catch (error) {
    throw usage((error as Error).message.split('\n')[0]);
  }
  const values = parsed.values;
  const sources = [values.prompt, values['prompt-file'], values.ids].filter((value) => value !== undefined);
  if (sources.length !== 1) throw usage('give exactly one of --prompt TEXT, --prompt-file FILE, --ids 1,2,3');
  const device = values.device as string;
  if (!['auto', 'cuda', 'cpu'].includes(device)) throw usage(`--device must be auto, cuda or cpu, not '${device}'`);

  let input: PromptInput;
  if (values.ids !== undefined) {
    const ids = values.ids.split(',').map((part) => part.trim());
    if (ids.some((id) => !/^\d+$/.test(id))) throw usage(`--ids must be comma-separated non-negative integers, got '${values.ids}'`);
    input = { kind: 'ids', ids: ids.map(Number), source: 'ids' };
  } else if (values['prompt-file'] !== undefined) {
    let text: string;
    try {
      text = readFileSync(values['prompt-file'], 'utf8');
    } catch (error) {
      throw usage(`cannot read --prompt-file ${values['prompt-file']}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    input = { kind: 'text', text: text.replace(/\r?\n$/, ''), source: values['prompt-file'] };
  } else {
    input = { kind: 'text', text: values.prompt!, source: 'argument' };
  }
  return {
    model: values.model,
    input,
    addBos: values['no-bos'] ? false : undefined,
    bosId: optionalInteger(values['bos-id'], '--bos-id', 0),
    device: device as Device,
    epsilon: optionalNumber(values.epsilon, '--epsilon'),
    maxTokens: optionalInteger(values['max-tokens'], '--max-tokens', 1),
    out: values.out,
    html: values.html,
  };
}

function optionalNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1) throw usage(`${flag} must be a number between 0 and 1, got '${value}'`);
  return number;
}

function optionalInteger(value: string | undefined, flag: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < minimum) throw usage(`${flag} must be an integer >= ${minimum}, got '${value}'`);
  return Number(value);
}
