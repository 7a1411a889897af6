/** Parses CLI arguments into engine inputs; every mistake is a usage error. */
import { readFileSync } from 'node:fs';
import { parseArgs, ParseArgsConfig } from 'node:util';
import type { PromptInput } from '../engine/api';
import { SinkLensError } from '../engine/errors';
import type { Device } from '../protocol/report';
import { readPromptsFile } from '../engine/promptsFile';

export interface CommonOptions {
  model: string | undefined;
  addBos: boolean | undefined;
  bosId: number | undefined;
  device: Device;
  epsilon: number | undefined;
  maxTokens: number | undefined;
  truncate: boolean;
  out: string | undefined;
}

export interface AnalyzeCommand extends CommonOptions {
  input: PromptInput;
  html: string | undefined;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'prompt-file': { type: 'string' },
  prompts: { type: 'string' },
  ids: { type: 'string' },
  'no-bos': { type: 'boolean' },
  'bos-id': { type: 'string' },
  device: { type: 'string', default: 'auto' },
  epsilon: { type: 'string' },
  'max-tokens': { type: 'string' },
  truncate: { type: 'boolean' },
  out: { type: 'string' },
};

export const usage = (message: string) => new SinkLensError('usage', 'bad-arguments', `${message} (see sink-lens --help)`);

export type ParsedValues = Record<string, string | boolean | undefined>;

/** Parses the common options plus `extra`; returns the raw values and the common options. */
export function parseCommand(argv: string[], extra: Options = {}): { values: ParsedValues; common: CommonOptions } {
  let values: ParsedValues;
  try {
    values = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...COMMON, ...extra } }).values as ParsedValues;
  } catch (error) {
    throw usage((error as Error).message.split('\n')[0]);
  }
  const device = values.device as string;
  if (!['auto', 'cuda', 'cpu'].includes(device)) throw usage(`--device must be auto, cuda or cpu, not '${device}'`);
  return {
    values,
    common: {
      model: values.model as string | undefined,
      addBos: values['no-bos'] ? false : undefined,
      bosId: optionalInteger(values['bos-id'], '--bos-id', 0),
      device: device as Device,
      epsilon: optionalFraction(values.epsilon, '--epsilon'),
      maxTokens: optionalInteger(values['max-tokens'], '--max-tokens', 1),
      truncate: Boolean(values.truncate),
      out: values.out as string | undefined,
    },
  };
}

/** The one prompt given by --prompt, --prompt-file or --ids. */
export function singlePrompt(values: ParsedValues, allowIds = true): PromptInput {
  const sources = [values.prompt, values['prompt-file'], allowIds ? values.ids : undefined].filter((value) => value !== undefined);
  if (sources.length !== 1) throw usage(`give exactly one of --prompt TEXT, --prompt-file FILE${allowIds ? ', --ids 1,2,3' : ''}`);
  if (values.ids !== undefined) {
    const ids = String(values.ids)
      .split(',')
      .map((part) => part.trim());
    if (ids.some((id) => !/^\d+$/.test(id))) throw usage(`--ids must be comma-separated non-negative integers, got '${values.ids}'`);
    return { kind: 'ids', ids: ids.map(Number), source: 'ids' };
  }
  if (values['prompt-file'] !== undefined) {
    const path = String(values['prompt-file']);
    try {
      return { kind: 'text', text: readFileSync(path, 'utf8').replace(/\r?\n$/, ''), source: path };
    } catch (error) {
      throw usage(`cannot read --prompt-file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return { kind: 'text', text: String(values.prompt), source: 'argument' };
}

/** Several prompts: --prompts FILE, or a single --prompt. */
export function manyPrompts(values: ParsedValues): PromptInput[] {
  if (values.prompts !== undefined) return readPromptsFile(String(values.prompts));
  return [singlePrompt(values)];
}

export function parseAnalyzeArgs(argv: string[]): AnalyzeCommand {
  const { values, common } = parseCommand(argv, { html: { type: 'string' } });
  return { ...common, input: singlePrompt(values), html: values.html as string | undefined };
}

export function optionalInteger(value: unknown, flag: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < minimum) throw usage(`${flag} must be an integer >= ${minimum}, got '${value}'`);
  return Number(value);
}

function optionalFraction(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(number) || number < 0 || number > 1) throw usage(`${flag} must be a number between 0 and 1, got '${value}'`);
  return number;
}
