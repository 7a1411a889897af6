/**
 * Every failure the engine expects carries a category that maps to the CLI's exit code and to the
 * actions the extension offers. Messages are one line and say what to do next.
 */
export type ErrorCategory = 'usage' | 'model' | 'runtime' | 'cancelled';

export const EXIT_CODES: Record<ErrorCategory, number> = {
  usage: 2,
  model: 3,
  runtime: 4,
  cancelled: 130,
};

export class SinkLensError extends Error {
  constructor(
    readonly category: ErrorCategory,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SinkLensError';
  }
}

export class UnsupportedGraphError extends SinkLensError {
  constructor(detail: string) {
    super('model', 'unsupported-graph', `unsupported graph: ${detail}`);
  }
}

/** onnxruntime failed to run the model; `detail` is all of its message, on one line. */
export class RunFailedError extends SinkLensError {
  constructor(
    readonly detail: string,
    on: string,
  ) {
    super('runtime', 'run-failed', `onnxruntime could not run the model on ${on}: ${detail}`);
  }
}

export class CancelledError extends SinkLensError {
  constructor() {
    super('cancelled', 'cancelled', 'the analysis was cancelled');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** A message on one line, all of it: onnxruntime's run over several ("… for the following indices\n index: 1 Got: 14"). */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

/** Turns anything thrown into a SinkLensError, keeping ours as they are. */
export function asSinkLensError(error: unknown, fallback: ErrorCategory = 'runtime'): SinkLensError {
  if (error instanceof SinkLensError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SinkLensError(fallback, 'unexpected', oneLine(message));
}
