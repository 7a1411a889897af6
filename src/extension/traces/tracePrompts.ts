/**
 * The probe prompts of a checkpoint trace: a prompts file in the checkpoint folder (samples.txt,
 * prompts.txt, or JSONL), else the user's choice of a file, one typed prompt, or the demo's probes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readPromptsFile } from '../../engine/promptsFile';
import type { ErrorNotices } from '../notices/errorNotices';

/** Prompt files looked for in a checkpoint folder, in this order. */
const PROMPT_FILES = ['samples.txt', 'prompts.txt', 'prompts.jsonl', 'samples.jsonl'];

/** The folder's own prompts file, if it has one. */
export function promptsFileIn(folder: string): string | undefined {
  return PROMPT_FILES.map((name) => join(folder, name)).find((path) => existsSync(path));
}

/** The prompts of a file (one per line, or JSONL); the user is told when it cannot be read. */
export function readPrompts(path: string, notices: ErrorNotices): string[] | undefined {
  try {
    return readPromptsFile(path).map((input) => (input.kind === 'text' ? input.text : ''));
  } catch (error) {
    notices.show(error);
    return undefined;
  }
}

/** No prompts file in the folder: choose one (its path), type one prompt, or use the demo's probes (`demoPrompts`). */
export async function askForPrompts(demoPrompts: string): Promise<string | string[] | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'Choose a prompts file…', description: 'one probe prompt per line, or JSONL', value: 'file' as const },
      { label: 'Type a probe prompt…', value: 'type' as const },
      { label: "Use the demo's probe prompts", description: 'models/sinklet/samples.txt (made for the sinklet demo)', value: 'demo' as const },
    ],
    { title: 'Sink Lens: the folder has no samples.txt or prompts.txt: which probe prompts?' },
  );
  if (!choice) return undefined;
  if (choice.value === 'demo') return demoPrompts;
  if (choice.value === 'type') {
    const text = await vscode.window.showInputBox({ title: 'Sink Lens: probe prompt for every checkpoint', prompt: 'The same prompt goes through every checkpoint.' });
    return text?.trim() ? [text] : undefined;
  }
  const picked = await vscode.window.showOpenDialog({ title: 'Sink Lens: probe prompts', openLabel: 'Use Prompts', canSelectMany: false, filters: { Prompts: ['txt', 'jsonl', 'ndjson'] } });
  return picked?.[0]?.fsPath;
}
