/**
 * A webview's end of its channel to the host (src/protocol/rpc.ts): requests that return promises of
 * their replies, events both ways, and every message from the host checked before the page uses it
 * (one that fails is dropped and said in the console). The state VS Code keeps for the panel
 * travels the same handle, acquired once per page.
 */
import type { Side, SideChecks } from '../../src/protocol/rpc';
import { Endpoint } from '../../src/protocol/rpc';
import { vsCodeApi } from './vscodeApi';

export interface HostConnection<Webview extends Side, Host extends Side, State> {
  host: Endpoint<Webview, Host>;
  getState(): State | undefined;
  setState(state: State): void;
}

export function connectToHost<Webview extends Side, Host extends Side, State>(checks: { webview: SideChecks<Webview>; host: SideChecks<Host> }): HostConnection<Webview, Host, State> {
  const api = vsCodeApi<unknown, State>();
  const host = new Endpoint<Webview, Host>({
    local: checks.webview,
    remote: checks.host,
    send: (envelope) => api.postMessage(envelope),
    onViolation: (violation) => console.warn(`Sink Lens: dropped a message from the host: ${violation.message}`),
  });
  window.addEventListener('message', (event: MessageEvent<unknown>) => host.receive(event.data));
  return { host, getState: () => api.getState(), setState: (state) => api.setState(state) };
}
