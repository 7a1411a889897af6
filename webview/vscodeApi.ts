/** The webview's handle on VS Code, typed with the shared protocol. */
import type { FromWebviewMessage, WebviewState } from '../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: FromWebviewMessage): void;
  getState(): WebviewState | undefined;
  setState(state: WebviewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();
