/**
 * The runs the host holds: one object per run, its report once the worker sent it, or loaded from
 * the store for a run of an earlier session. The report panel draws from these (the run it shows is
 * one of them); the run service fills them.
 */
import type { RunRequest } from '../../protocol/channels/worker';
import type { ReportArrays } from '../../protocol/runReport';
import type { RunStore } from '../storage/runStore';

/** A run as the host holds it while the worker runs it, and after loading it from the store. */
export interface LiveRun {
  request: RunRequest;
  /** Null until the worker sent it (the whole report, once). */
  report: ReportArrays | null;
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
    const live: LiveRun = { request, report: null };
    this.runs.set(request.runId, live);
    return live;
  }

  /** The run if the host holds it now (running, or loaded before); the store is not read. */
  peek(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }

  forget(runId: string): void {
    this.runs.delete(runId);
  }

  /** The run, running or done, or loaded from the store; undefined when it is not stored. */
  async get(runId: string): Promise<LiveRun | undefined> {
    const cached = this.runs.get(runId);
    if (cached) return cached;
    const record = await this.store.get(runId);
    const stored = await this.store.load(runId);
    if (!record || !stored) return undefined;
    const live: LiveRun = {
      request: { runId, model: { modelPath: record.modelPath, device: this.device() }, prompt: record.prompt, options: record.options },
      report: stored.report,
    };
    this.runs.set(runId, live);
    return live;
  }

  /** The whole report, once there is one. */
  async report(runId: string): Promise<ReportArrays | undefined> {
    return (await this.get(runId))?.report ?? undefined;
  }
}
