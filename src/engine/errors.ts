/**
 * Every failure the engine expects is a SinkLensError (src/protocol/errors.ts: the one error shape,
 * whose category maps to the CLI's exit code and to the actions the extension offers). Messages are
 * one line and say what to do next. This module adds what only the engine and its CLI need.
 */
import { CancelledError, SinkLensError, type ErrorCategory } from '../protocol/errors';

export { asSinkLensError, CancelledError, oneLine, SinkLensError, type ErrorCategory } from '../protocol/errors';

export const EXIT_CODES: Record<ErrorCategory, number> = {
  usage: 2,
  model: 3,
  runtime: 4,
  cancelled: 130,
};

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

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
