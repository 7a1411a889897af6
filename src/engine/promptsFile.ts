/**
 * Prompts from a file, for the CLI's multi-prompt commands and the probe prompts of a checkpoint
 * trace (CLI and extension): a JSONL file ({"text": …} or a JSON string per line) or plain text,
 * one prompt per line.
 */
import { readFileSync } from 'node:fs';
import type { PromptInput } from './api';
import { SinkLensError } from './errors';

export function readPromptsFile(path: string): PromptInput[] {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SinkLensError('usage', 'bad-prompts-file', `cannot read --prompts ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const jsonl = path.endsWith('.jsonl') || path.endsWith('.ndjson');
  const prompts = content
    .split(/\r?\n/)
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }): PromptInput => {
      const source = `${path}:${number}`;
      if (!jsonl) return { kind: 'text', text: line, source };
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new SinkLensError('usage', 'bad-prompts-file', `${source} is not valid JSON`);
      }
      const text = typeof value === 'string' ? value : ((value as { text?: unknown; prompt?: unknown })?.text ?? (value as { prompt?: unknown })?.prompt);
      if (typeof text !== 'string') throw new SinkLensError('usage', 'bad-prompts-file', `${source} has no "text" string`);
      return { kind: 'text', text, source };
    });
  if (prompts.length === 0) throw new SinkLensError('usage', 'bad-prompts-file', `${path} has no prompts`);
  return prompts;
}
