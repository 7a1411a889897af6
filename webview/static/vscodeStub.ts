/**
 * What both exported pages need in place of VS Code: the embedded data, the theme class the
 * webview bundles read, and an `acquireVsCodeApi` whose messages go to `handle` (asynchronously,
 * as VS Code delivers them) and whose state lives for the page's lifetime.
 */
export function embeddedData<T>(): T {
  return JSON.parse(document.getElementById('sink-lens-data')!.textContent!) as T;
}

export function installVsCodeStub<Message>(handle: (message: Message) => void): void {
  document.body.classList.add(matchMedia('(prefers-color-scheme: dark)').matches ? 'vscode-dark' : 'vscode-light');
  let state: unknown;
  (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
    postMessage: (message: Message) => setTimeout(() => handle(message)),
    getState: () => state,
    setState: (next: unknown) => {
      state = next;
    },
  });
}
