/**
 * What both exported pages need in place of VS Code: the embedded data, the theme class the
 * webview bundles read, and the host's end of the panel's channel behind an `acquireVsCodeApi`
 * whose messages arrive asynchronously (as VS Code delivers them) and whose state lives for the
 * page's lifetime.
 */
import { Endpoint, type Side, type SideChecks } from '../../src/protocol/rpc';

export function embeddedData<T>(): T {
  return JSON.parse(document.getElementById('sink-lens-data')!.textContent!) as T;
}

/**
 * The host's end of a panel's channel, in the page: what it sends goes to the webview bundle as a
 * window message (as VS Code delivers one), what the bundle posts arrives through the stub.
 */
export function pageHost<Host extends Side, Webview extends Side>(checks: { host: SideChecks<Host>; webview: SideChecks<Webview> }, panel: string): Endpoint<Host, Webview> {
  const endpoint = new Endpoint<Host, Webview>({
    local: checks.host,
    remote: checks.webview,
    send: (envelope) => window.postMessage(envelope, '*'),
    onViolation: (violation) => console.warn(`Sink Lens: dropped a message from the ${panel}: ${violation.message}`),
  });
  installVsCodeStub((message) => endpoint.receive(message));
  return endpoint;
}

function installVsCodeStub(handle: (message: unknown) => void): void {
  document.body.classList.add(matchMedia('(prefers-color-scheme: dark)').matches ? 'vscode-dark' : 'vscode-light');
  let state: unknown;
  (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
    postMessage: (message: unknown) => setTimeout(() => handle(message)),
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
