/**
 * A webview's handle on VS Code, typed with its panel's protocol. VS Code lets a page acquire it
 * once, so each bundle calls this once, at its top.
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
