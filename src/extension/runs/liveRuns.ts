/**
 * The runs the host holds: one object per run, filled while the worker streams it and made whole
 * from the store for a run of an earlier session. The report panel draws from these (the run it
 * shows is one of them); the run service fills them.
 */
import type { RunRequest } from '../../protocol/channels/worker';
import type { SinkReport } from '../../protocol/report';
import { joinRunParts, toRunLayers, toRunSummary, type RunLayer, type RunSummary } from '../../protocol/runParts';
import type { RunStore } from '../storage/runStore';

/** A run as the host holds it while streaming, and after loading it from the store. */
export interface LiveRun {
  request: RunRequest;
  /** Null until the worker sent the first part. */
  summary: RunSummary | null;
  layers: RunLayer[];
  /** received[layer] once that layer's attention received arrived. */
  received: (Float32Array | undefined)[];
  done: boolean;
}

export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>();

  constructor(
    private readonly store: RunStore,
    /** The device runs of an earlier session are re-run on (the current setting). */
    private readonly device: () => RunRequest['model']['device'],
  ) {}

  /** A run that starts now. */
  start(request: RunRequest): LiveRun {
    const live: LiveRun = { request, summary: null, layers: [], received: [], done: false };
    this.runs.set(request.runId, live);
    return live;
  }

  /** The run if the host holds it now (streaming, or loaded before); the store is not read. */
  peek(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }

  forget(runId: string): void {
    this.runs.delete(runId);
  }

  /** The run, streaming or done, or rebuilt from the store; undefined when it is not stored. */
  async get(runId: string): Promise<LiveRun | undefined> {
    const cached = this.runs.get(runId);
    if (cached) return cached;
    const record = await this.store.get(runId);
    const stored = await this.store.load(runId);
    if (!record || !stored) return undefined;
    const live: LiveRun = {
      request: { runId, model: { modelPath: record.modelPath, device: this.device() }, prompt: record.prompt, options: record.options },
      summary: toRunSummary(runId, stored.report),
      layers: toRunLayers(runId, stored.report),
      received: stored.received.map((layer) => (layer ? Float32Array.from(layer) : undefined)),
      done: true,
    };
    this.runs.set(runId, live);
    return live;
  }

  /** The whole report: as stored, else joined from what has streamed so far. */
  async report(runId: string): Promise<SinkReport | undefined> {
    const stored = await this.store.load(runId);
    if (stored) return stored.report;
    const live = this.runs.get(runId);
    return live?.summary ? joinRunParts(live.summary, live.layers, live.received) : undefined;
  }
}
