/**
 * Prompts longer than `sinkLens.maxTokens`: the worker refuses them (`prompt-too-long`) after
 * tokenizing, which is cheap; the user is then told the token count and the limit and chooses to
 * analyse the first maxTokens tokens ("Truncate", the report warns), to analyse all of them
 * ("Analyze All", the limit raised for this run only), or to cancel.
 */
import * as vscode from 'vscode';
import { SinkLensError } from '../../protocol/errors';

export type LongPromptChoice = 'truncate' | 'analyzeAll' | 'cancel';

export interface TooLong {
  tokens: number;
  limit: number;
  /** true: the model's context is the limit, so only truncating can help. */
  contextLimited: boolean;
}

/** Reads the engine's `prompt-too-long` error ("the prompt has N tokens, more than the limit of M tokens (maxTokens)…"). */
export function tooLong(error: unknown): TooLong | undefined {
  if (!(error instanceof SinkLensError) || error.code !== 'prompt-too-long') return undefined;
  const match = /the prompt has (\d+) tokens, more than (?:the limit of|the model's context of) (\d+) tokens/.exec(error.message);
  if (!match) return undefined;
  return { tokens: Number(match[1]), limit: Number(match[2]), contextLimited: !/\(maxTokens\)/.test(error.message) };
}

/** Whether a command argument is a preset answer (tests); anything else (a Uri from a menu…) is not. */
export function presetChoice(argument: unknown): LongPromptChoice | undefined {
  if (typeof argument !== 'object' || argument === null) return undefined;
  const value = (argument as { longPrompt?: unknown }).longPrompt;
  return value === 'truncate' || value === 'analyzeAll' || value === 'cancel' ? value : undefined;
}

export async function askLongPrompt(info: TooLong): Promise<LongPromptChoice> {
  const truncate = `Truncate to ${info.limit}`;
  const all = 'Analyze All';
  const detail = info.contextLimited
    ? `The model's context is ${info.limit} tokens: only the first ${info.limit} can be analysed. The report will say it was truncated.`
    : `The limit is sinkLens.maxTokens = ${info.limit}. Attention maps grow with the square of the length: all ${info.tokens} tokens need about ${(info.tokens / info.limit) ** 2 < 1.05 ? 'the same' : `${((info.tokens / info.limit) ** 2).toFixed(1)}x the`} memory of ${info.limit}. "Truncate" analyses the first ${info.limit} tokens and the report says so.`;
  const choice = await vscode.window.showWarningMessage(
    `Sink Lens: the prompt has ${info.tokens} tokens, more than the limit of ${info.limit}.`,
    { modal: true, detail },
    ...(info.contextLimited ? [truncate] : [truncate, all]),
  );
  if (choice === truncate) return 'truncate';
  if (choice === all) return 'analyzeAll';
  return 'cancel';
}
