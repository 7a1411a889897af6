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

/** Saves a file from the page, as a browser download. */
export function download(name: string, href: string): void {
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  link.click();
}

/** A panel's PNG (a data URL) or CSV export, as a download. */
export function downloadExport(name: string, kind: 'png' | 'csv', data: string): void {
  download(name, kind === 'csv' ? `data:text/csv;charset=utf-8,${encodeURIComponent(data)}` : data);
}
