/**
 * The one error shape of Sink Lens: a category (which maps to the CLI's exit code and to the actions
 * the extension offers), a stable code and a one-line message that says what to do next. The engine
 * throws SinkLensError; it crosses the worker's and the webviews' messages as an ErrorPayload and
 * becomes a SinkLensError again where it arrives.
 */
export type ErrorCategory = 'usage' | 'model' | 'runtime' | 'cancelled';

export interface ErrorPayload {
  category: ErrorCategory;
  code: string;
  message: string;
}

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

export class CancelledError extends SinkLensError {
  constructor() {
    super('cancelled', 'cancelled', 'the analysis was cancelled');
  }
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

export function toErrorPayload(error: unknown): ErrorPayload {
  const known = asSinkLensError(error);
  return { category: known.category, code: known.code, message: known.message };
}

/** The error a payload stands for, where it arrives (a cancellation is a CancelledError again). */
export function fromErrorPayload(payload: ErrorPayload): SinkLensError {
  return payload.category === 'cancelled' ? new CancelledError() : new SinkLensError(payload.category, payload.code, payload.message);
}
