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

export class CancelledError extends SinkLensError {
  constructor() {
    super('cancelled', 'cancelled', 'the analysis was cancelled');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Turns anything thrown into a SinkLensError, keeping ours as they are. */
export function asSinkLensError(error: unknown, fallback: ErrorCategory = 'runtime'): SinkLensError {
  if (error instanceof SinkLensError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SinkLensError(fallback, 'unexpected', message.split('\n')[0]);
}
