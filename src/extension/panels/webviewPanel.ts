/**
 * What the report, trace and analyses panels share: one VS Code webview panel with the strict
 * document of src/webviewDocument.ts, messages to the webview held until it says it is ready (a
 * panel being restored or just created cannot receive them yet), and disposal that the panel's own
 * onDidDispose listeners may re-enter (a DisposableValue clearing itself).
 */
import * as vscode from 'vscode';
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

export abstract class WebviewPanel<ToWebview, FromWebview extends { type: string }> extends Disposable {
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;
  private ready = false;
  private readonly queued: ToWebview[] = [];
  private disposing = false;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    page: WebviewDocument,
    private readonly preserveFocusOnReveal: boolean,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'sink-lens.svg');
    panel.webview.html = webviewDocument(panel.webview, extensionUri, page);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(
      panel.webview.onDidReceiveMessage((received: unknown) => {
        const message = this.parse(received);
        if (!message) return;
        if (message.type === 'ready') this.ready = true;
        this.receive(message);
        if (message.type === 'ready') this.flush();
      }),
    );
  }

  /** The message as this panel's protocol has it, or null to drop it. */
  protected abstract parse(received: unknown): FromWebview | null;

  /** Keeps the panel's own bookkeeping (which run or trace it shows) and hands the message on. */
  protected abstract receive(message: FromWebview): void;

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

  /** Messages wait until the webview says it is ready; after that they go straight through. */
  post(message: ToWebview): void {
    if (!this.ready) {
      this.queued.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private flush(): void {
    for (const message of this.queued.splice(0)) void this.panel.webview.postMessage(message);
  }
}

/**
 * The one panel of a kind a controller keeps: made on demand, replaced when VS Code restores one
 * after a reload, emptied when the user closes it.
 */
export class PanelSlot<P extends WebviewPanel<unknown, { type: string }>> extends DisposableValue<P> {
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
