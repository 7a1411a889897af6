/**
 * Stands in for VS Code in a trace exported as one HTML file (`sink-lens trace --html`): feeds the
 * checkpoint-trace webview bundle the embedded trace and turns its exports into downloads. "Open in
 * Sink Report" needs the models, so outside VS Code it says how to get that view instead.
 */
import { downloadExport, embeddedData, installVsCodeStub } from './vscodeStub';
import type { FromTraceWebviewMessage, ToTraceWebviewMessage, TraceView } from '../../src/protocol/traceMessages';

const view = embeddedData<TraceView>();

function handle(message: FromTraceWebviewMessage): void {
  if (message.type === 'ready') {
    window.postMessage({ type: 'trace', view } satisfies ToTraceWebviewMessage, '*');
  } else if (message.type === 'openCheckpoint') {
    const checkpoint = view.trace.checkpoints[message.index];
    window.alert(`In VS Code this opens the Sink Report of step ${checkpoint.step}. From a terminal: sink-lens analyze --model ${checkpoint.path} --prompt …`);
  } else if (message.type === 'export') {
    downloadExport(message.name, message.kind, message.data);
    window.postMessage({ type: 'exportDone', path: message.name } satisfies ToTraceWebviewMessage, '*');
  }
}

installVsCodeStub(handle);
