/**
 * Stands in for VS Code in a report exported as one HTML file (`sink-lens analyze --html`): it
 * provides `acquireVsCodeApi` to the Sink Report webview bundle, feeds it the embedded run the way
 * the extension streams one, answers its attention-map requests from the embedded maps, and turns
 * its exports into downloads. Loaded before the webview bundle.
 */
import { download, downloadExport, embeddedData, installVsCodeStub } from './vscodeStub';
import type { SinkReport } from '../../src/protocol/report';
import type { FromWebviewMessage, ToWebviewMessage } from '../../src/protocol/reportMessages';
import { attentionReceived, selectHead, toRunLayers, toRunSummary } from '../../src/protocol/runParts';

interface EmbeddedRun {
  report: SinkReport;
  /** Per layer, base64 of a Float32Array [heads][T][T]; null when too large to embed. */
  maps: string[] | null;
}

const embedded = embeddedData<EmbeddedRun>();
const runId = 'export';
const heads = embedded.report.model.heads;
const tokens = embedded.report.tokens.length;
const maps = embedded.maps?.map((base64) => {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return new Float32Array(bytes.buffer);
});

function send(message: ToWebviewMessage): void {
  window.postMessage(message, '*');
}

function handle(message: FromWebviewMessage): void {
  switch (message.type) {
    case 'ready':
      send({ type: 'runBegin', summary: toRunSummary(runId, embedded.report) });
      for (const layer of toRunLayers(runId, embedded.report)) send({ type: 'runLayer', layer });
      maps?.forEach((data, layer) => send({ type: 'runReceived', received: { runId, layer, received: attentionReceived(data, heads, tokens) } }));
      send({ type: 'runEnd', runId });
      return;
    case 'requestAttentionMap':
      if (!maps) {
        send({
          type: 'attentionMapError',
          inReplyTo: message.requestId,
          error: { category: 'usage', code: 'maps-not-embedded', message: 'this export holds no attention maps (too large to embed); open the prompt in VS Code or export a shorter one' },
        });
        return;
      }
      send({
        type: 'attentionMap',
        inReplyTo: message.requestId,
        map: { runId, layer: message.layer, head: message.head, heads, tokens, data: selectHead(maps[message.layer], heads, tokens, message.head).slice() },
      });
      return;
    case 'export': {
      const name = message.name;
      if (message.kind === 'json') download(name, `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(embedded.report, null, 1))}`);
      else downloadExport(name, message.kind, message.data ?? '');
      send({ type: 'exportDone', path: name });
      return;
    }
    case 'ablateHeads': {
      // Ablation reruns the model, which an exported page does not carry: say how to get the numbers.
      const { prompt, tokens, model } = embedded.report;
      const heads = message.heads.map((ref) => `${ref.layer}:${ref.head}`).join(',');
      // The same tokens: ids exactly as analysed (BOS included), or the text when it is short enough to quote.
      const input = prompt.text === null || prompt.text.length > 300 || /[\r\n]/.test(prompt.text) ? `--no-bos --ids ${tokens.map((token) => token.id).join(',')}` : `--prompt ${JSON.stringify(prompt.text)}${prompt.bos ? '' : ' --no-bos'}`;
      send({
        type: 'ablationDone',
        inReplyTo: message.requestId,
        error: { category: 'usage', code: 'needs-model', message: `this exported page has no model to rerun; open the prompt in VS Code, or run: sink-lens ablate --model ${model.path} ${input} --ablate ${heads}` },
      });
      return;
    }
    default:
      return; // state, reveal and command messages mean nothing outside VS Code
  }
}

installVsCodeStub(handle);
