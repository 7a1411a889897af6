/**
 * What an analysis is asked to do: which model on which device, the prompt (text, or token ids used
 * exactly as given) and the run's options. The engine's API, the worker's requests and the stored
 * runs all use these shapes.
 */
import type { Device } from './report';

export type PromptInput = { kind: 'text'; text: string; source: string } | { kind: 'ids'; ids: number[]; source: string };

/** The options a run is made with, as the extension keeps them with a stored run. */
export interface RunOptions {
  addBos: boolean;
  epsilon: number;
  maxTokens: number;
  /** Above maxTokens: analyse the first maxTokens tokens (the report warns) instead of refusing. */
  truncate?: boolean;
}

export interface ModelRef {
  modelPath: string;
  device: Device;
}
