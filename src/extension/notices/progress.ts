/**
 * Long work under a progress notification with a Cancel button: the notification's cancellation
 * becomes an AbortSignal, the one way the worker client, the CUDA download and the engine take to
 * be told to stop. Every run, analysis, trace and download goes through here.
 */
import * as vscode from 'vscode';

export interface ProgressReport {
  (message: string, increment?: number): void;
}

export function withCancellableProgress<T>(title: string, task: (report: ProgressReport, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const subscription = token.onCancellationRequested(() => abort.abort());
    try {
      return await task((message, increment) => progress.report(increment === undefined ? { message } : { message, increment }), abort.signal);
    } finally {
      subscription.dispose();
    }
  });
}
