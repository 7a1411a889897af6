/** The run records and stored reports behind the explorer, the panel and the decorations. */
import { packDocument, unpackDocument } from './packedDocument';
import { RecordStore } from './recordStore';
import type { SinkReport } from '../../protocol/report';
import type { PromptInput, RunOptions } from '../../protocol/inputs';
import { toReportArrays, type ReportArrays } from '../../protocol/runReport';

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

/** One run's file: the report as the worker sent it (attention received is in it). */
export interface StoredRun {
  report: ReportArrays;
  /** Document offsets of the prompt's units, to decorate it again. */
  offsets: number[] | null;
  /** The document text those offsets covered, to tell whether they still fit the document. */
  sourceText?: string | null;
}

/** A run's file as earlier versions wrote it: number arrays, and attention received beside the report. */
interface FormerStoredRun extends Omit<StoredRun, 'report'> {
  report: SinkReport | ReportArrays;
  received?: (number[] | null)[];
}

/**
 * Runs persisted in the workspace's storage folder: runs.json and one run-<id>.slrun per run, its
 * number arrays in binary (packedDocument.ts). Runs stored as run-<id>.json by earlier versions
 * still open, as do files that kept attention received beside the report. At most 50 runs and, when `maxBytes` gives a limit, that many bytes of run files:
 * the oldest runs are dropped first, the newest is always kept.
 */
export class RunStore extends RecordStore<RunRecord, StoredRun> {
  constructor(folder: string, maxBytes?: () => number) {
    super({
      folder,
      indexFile: 'runs.json',
      documentFile: (id) => `run-${id}.slrun`,
      formerDocumentFiles: (id) => [`run-${id}.json`],
      format: { encode: packDocument, decode: (content) => unpackDocument(content) as StoredRun },
      maxBytes,
      validId: /^[\w-]+$/,
      maxRecords: 50,
      parseIndex: (parsed) => {
        const runs = (parsed as { runs?: unknown } | null)?.runs;
        return Array.isArray(runs) ? (runs as RunRecord[]) : [];
      },
      formatIndex: (runs) => ({ version: 1, runs }),
    });
  }

  /** The stored run with its arrays typed, whichever version wrote it. */
  override async load(id: string): Promise<StoredRun | undefined> {
    const stored = (await super.load(id)) as FormerStoredRun | undefined;
    try {
      return stored && fromStoredFile(stored);
    } catch {
      return undefined; // not a run's file: unreadable, as a file that does not parse
    }
  }
}

function fromStoredFile({ received, ...stored }: FormerStoredRun): StoredRun {
  const report = toReportArrays(stored.report);
  // Files written before the report carried attention received kept it beside the report, per layer.
  if (report.attention.received || !received?.length || !received.every((row) => row !== null)) return { ...stored, report };
  return { ...stored, report: { ...report, attention: { ...report.attention, received: received.map((row) => Float32Array.from(row!)) } } };
}
