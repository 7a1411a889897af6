/**
 * Stands in for VS Code in a trace exported as one HTML file (`sink-lens trace --html`): speaks the
 * trace channel's host side to the checkpoint-trace webview bundle, feeding it the embedded trace
 * and turning its exports into downloads. "Open in Sink Report" needs the models, so outside VS
 * Code it says how to get that view instead.
 */
import { traceHostChecks, traceWebviewChecks, type TraceHostSide, type TraceView, type TraceWebviewSide } from '../../src/protocol/channels/trace';
import { downloadExport, embeddedData, pageHost } from './vscodeStub';

const view = embeddedData<TraceView>();

const webview = pageHost<TraceHostSide, TraceWebviewSide>({ host: traceHostChecks, webview: traceWebviewChecks }, 'trace');

webview
  .serve({
    export: ({ kind, name, data }) => {
      downloadExport(name, kind, data);
      return { path: name };
    },
  })
  .listen({
    ready: () => webview.notify('trace', view),
    stateChanged: () => undefined,
    openCheckpoint: ({ index }) => {
      const checkpoint = view.trace.checkpoints[index];
      window.alert(`In VS Code this opens the Sink Report of step ${checkpoint.step}. From a terminal: sink-lens analyze --model ${checkpoint.path} --prompt …`);
    },
  });
