/**
 * A webview's handle on VS Code. VS Code lets a page acquire it once: each panel's page does so
 * through its host connection (messageClient.ts), once, at its top.
 */
export interface VsCodeApi<FromWebview, State> {
  postMessage(message: FromWebview): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi(): unknown;

export function vsCodeApi<FromWebview, State>(): VsCodeApi<FromWebview, State> {
  return acquireVsCodeApi() as VsCodeApi<FromWebview, State>;
}
