/**
 * What the report, trace and analyses panels share: one VS Code webview panel with the strict
 * document of webviewDocument.ts, its end of the panel's channel (src/protocol/rpc.ts: everything
 * from the webview is checked before the controller sees it; what fails is dropped, counted and
 * logged), messages to the webview held until it says it is ready (a panel being restored or just
 * created cannot receive them yet), and disposal that the panel's own onDidDispose listeners may
 * re-enter (a DisposableValue clearing itself).
 */
import * as vscode from 'vscode';
import { Endpoint, type Envelope, type EventHandlers, type EventType, type RequestHandlers, type Side, type SideChecks } from '../../protocol/rpc';
import { Disposable, DisposableValue } from '../dispose';
import { webviewDocument, webviewPanelOptions, type WebviewDocument } from './webviewDocument';

/** A new panel of this view type; `preserveFocus` keeps the editor focused where the commands read from it. */
export function createWebviewPanel(viewType: string, title: string, extensionUri: vscode.Uri, show: { viewColumn: vscode.ViewColumn; preserveFocus: boolean }): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(viewType, title, show, webviewPanelOptions(extensionUri));
}

/** A panel VS Code restores after a reload: its options are not kept, so they are set again. */
export function reviveWebviewPanel(panel: vscode.WebviewPanel, extensionUri: vscode.Uri): vscode.WebviewPanel {
  panel.webview.options = webviewPanelOptions(extensionUri);
  return panel;
}

/** Every panel's webview says when it is ready (with the state it kept, if any). */
export interface PanelHostSide extends Side {
  events: { ready: unknown };
}

export interface PanelChannel<Host extends PanelHostSide, Webview extends Side> {
  host: SideChecks<Host>;
  webview: SideChecks<Webview>;
}

export abstract class WebviewPanel<Host extends PanelHostSide, Webview extends Side> extends Disposable {
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;
  /** Messages from the webview that failed their checks and were dropped. */
  droppedMessages = 0;
  private readonly endpoint: Endpoint<Host, Webview>;
  private ready = false;
  private readonly queued: Envelope[] = [];
  private disposing = false;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    page: WebviewDocument,
    private readonly preserveFocusOnReveal: boolean,
    channel: PanelChannel<Host, Webview>,
    log: vscode.LogOutputChannel,
  ) {
    super();
    this.endpoint = new Endpoint<Host, Webview>({
      local: channel.host,
      remote: channel.webview,
      send: (envelope) => this.transmit(envelope),
      onViolation: (violation) => {
        this.droppedMessages++;
        log.warn(`dropped a message from the ${page.title} webview: ${violation.message}`);
      },
    });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'sink-lens.svg');
    panel.webview.html = webviewDocument(panel.webview, extensionUri, page);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((received: unknown) => this.receive(received)));
  }

  /** The controller's answers to the webview's requests and its handlers of the webview's events. */
  handle(requests: RequestHandlers<Host>, events: EventHandlers<Host>): void {
    this.endpoint.serve(requests).listen({
      ...events,
      ready: (body: Host['events']['ready']) => {
        this.ready = true;
        events.ready(body);
        this.flush();
      },
    });
  }

  notify<K extends EventType<Webview>>(type: K, body: Webview['events'][K]): void {
    this.endpoint.notify(type, body);
  }

  /** What the webview posts arrives here (tests hand messages in the same way). */
  receive(received: unknown): void {
    this.endpoint.receive(received);
  }

  /** Everything to the webview leaves through here: held until it is ready, then straight through. */
  transmit(envelope: Envelope): void {
    if (!this.ready) {
      this.queued.push(envelope);
      return;
    }
    void this.panel.webview.postMessage(envelope);
  }

  override dispose(): void {
    if (this.disposing) return;
    this.disposing = true;
    this._onDidDispose.fire();
    super.dispose();
    this.panel.dispose();
  }

  reveal(): void {
    this.panel.reveal(undefined, this.preserveFocusOnReveal);
  }

  private flush(): void {
    for (const envelope of this.queued.splice(0)) void this.panel.webview.postMessage(envelope);
  }
}

/**
 * The one panel of a kind a controller keeps: made on demand, replaced when VS Code restores one
 * after a reload, emptied when the user closes it.
 */
export class PanelSlot<P extends Disposable & { readonly onDidDispose: vscode.Event<void> }> extends DisposableValue<P> {
  constructor(private readonly create: () => P) {
    super();
  }

  /** The panel while it is open. */
  get open(): P | undefined {
    return this.value && !this.value.isDisposed ? this.value : undefined;
  }

  /** The open panel, or a new one. */
  ensure(): P {
    return this.open ?? this.adopt(this.create());
  }

  /** Holds `panel` (a restored one) in place of any other. */
  adopt(panel: P): P {
    this.value = panel;
    panel.onDidDispose(() => {
      if (this.value === panel) this.value = undefined;
    });
    return panel;
  }
}
