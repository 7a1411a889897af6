/** The run records and stored reports behind the explorer, the panel and the decorations. */
import { RecordStore } from './recordStore';
import type { SinkReport } from '../../protocol/report';
import type { PromptInput, RunOptions } from '../../protocol/inputs';

export interface RunRecord {
  id: string;
  modelPath: string;
  /** Short name for lists: the model's folder or file name. */
  modelName: string;
  createdAt: string;
  executionProvider: 'cuda' | 'cpu';
  promptPreview: string;
  prompt: PromptInput;
  options: RunOptions;
  /** Where the prompt came from, to re-run and to decorate again. */
  documentUri: string | null;
  /** [layer][head], for the tree without loading the report. */
  sinkScore: number[][];
  sinkRate: number;
  epsilon: number;
  uniformBaseline: number;
}

/** One run's file: the report and, per layer, the attention each token receives (null if not computed). */
export interface StoredRun {
  report: SinkReport;
  received: (number[] | null)[];
  /** Document offsets of the prompt's units, to decorate it again. */
  offsets: number[] | null;
  /** The document text those offsets covered, to tell whether they still fit the document. */
  sourceText?: string | null;
}

/** Runs persisted in the workspace's storage folder: runs.json and one run-<id>.json per run. */
export class RunStore extends RecordStore<RunRecord, StoredRun> {
  constructor(folder: string) {
    super({
      folder,
      indexFile: 'runs.json',
      documentFile: (id) => `run-${id}.json`,
      validId: /^[\w-]+$/,
      maxRecords: 50,
      parseIndex: (parsed) => {
        const runs = (parsed as { runs?: unknown } | null)?.runs;
        return Array.isArray(runs) ? (runs as RunRecord[]) : [];
      },
      formatIndex: (runs) => ({ version: 1, runs }),
    });
  }
}
