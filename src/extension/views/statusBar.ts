/** The status bar item: which model is selected and the device that actually ran it. */
import * as vscode from 'vscode';
import { Disposable } from '../dispose';
import type { Device, ExecutionProvider } from '../../protocol/report';

export class SinkStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('sinkLens.status', vscode.StatusBarAlignment.Right, 100));
  private modelName = '';
  private provider: ExecutionProvider | null = null;
  private fallbackReason: string | null = null;
  private busy = false;
  private cudaRequested = false;

  constructor() {
    super();
    this.item.name = 'Sink Lens';
    this.item.command = 'sinkLens.selectModel';
    this.render();
  }

  setModel(name: string): void {
    if (name !== this.modelName) {
      this.modelName = name;
      this.provider = null; // unknown until the model is opened
      this.fallbackReason = null;
    }
    this.render();
    this.item.show();
  }

  /** `requested` decides whether a CPU fallback is a warning (CUDA was asked for) or just a fact (auto). */
  setDevice(provider: ExecutionProvider, fallbackReason: string | null, requested: Device): void {
    this.provider = provider;
    this.fallbackReason = fallbackReason;
    this.cudaRequested = requested === 'cuda';
    this.render();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.render();
  }

  private render(): void {
    const device = this.provider ? this.provider.toUpperCase() : 'not loaded';
    const icon = this.busy ? '$(loading~spin)' : this.fallbackReason && this.cudaRequested ? '$(warning)' : '$(pulse)';
    this.item.text = `${icon} ${this.modelName || 'Sink Lens'} · ${device}`;
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown('**Sink Lens**\n\nModel: ');
    tooltip.appendText(this.modelName || '(none)');
    tooltip.appendMarkdown(`\n\nDevice that ran: ${this.provider ? this.provider.toUpperCase() : 'not loaded yet'}`);
    if (this.fallbackReason) {
      tooltip.appendMarkdown('\n\nCUDA was not used: ');
      tooltip.appendText(this.fallbackReason);
    }
    tooltip.appendMarkdown('\n\nClick to select another model.');
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Sink Lens: model ${this.modelName || 'none'}, device ${device}` };
  }
}
