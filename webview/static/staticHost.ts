/**
 * Stands in for VS Code in a report exported as one HTML file (`sink-lens analyze --html`): it
 * provides `acquireVsCodeApi` to the Sink Report webview bundle and speaks the report channel's host
 * side to it, as the extension does: sends it the embedded run the way the extension sends one,
 * answers its attention-map requests from the embedded maps, and turns its exports into downloads.
 * Loaded before the webview bundle.
 */
import { reportHostChecks, reportWebviewChecks, type ReportHostSide, type ReportWebviewSide } from '../../src/protocol/channels/report';
import { SinkLensError } from '../../src/protocol/errors';
import type { SinkReport } from '../../src/protocol/report';
import { selectHead, toReportArrays } from '../../src/protocol/runReport';
import { download, downloadExport, embeddedData, pageHost } from './vscodeStub';

interface EmbeddedRun {
  report: SinkReport;
  /** Per layer, base64 of a Float32Array [heads][T][T]; null when too large to embed. */
  maps: string[] | null;
  /** Whether the report is of the bundled demo model (absent in pages exported before it was said). */
  demoModel?: boolean;
}

const embedded = embeddedData<EmbeddedRun>();
const runId = 'export';
const heads = embedded.report.model.heads;
const tokens = embedded.report.tokens.length;
const maps = embedded.maps?.map((base64) => {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return new Float32Array(bytes.buffer);
});

const webview = pageHost<ReportHostSide, ReportWebviewSide>({ host: reportHostChecks, webview: reportWebviewChecks }, 'report');

webview
  .serve({
    attentionMap: ({ layer, head }) => {
      if (!maps) throw new SinkLensError('usage', 'maps-not-embedded', 'this export holds no attention maps (too large to embed); open the prompt in VS Code or export a shorter one');
      return { runId, layer, head, heads, tokens, data: selectHead(maps[layer], heads, tokens, head).slice() };
    },
    export: ({ kind, name, data }) => {
      if (kind === 'json') download(name, `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(embedded.report, null, 1))}`);
      else downloadExport(name, kind, data ?? '');
      return { path: name };
    },
    ablateHeads: ({ heads: removed }) => {
      // Ablation reruns the model, which an exported page does not carry: say how to get the numbers.
      const { prompt, tokens: reportTokens, model } = embedded.report;
      const list = removed.map((ref) => `${ref.layer}:${ref.head}`).join(',');
      // The same tokens: ids exactly as analysed (BOS included), or the text when it is short enough to quote.
      const input =
        prompt.text === null || prompt.text.length > 300 || /[\r\n]/.test(prompt.text)
          ? `--no-bos --ids ${reportTokens.map((token) => token.id).join(',')}`
          : `--prompt ${JSON.stringify(prompt.text)}${prompt.bos ? '' : ' --no-bos'}`;
      throw new SinkLensError('usage', 'needs-model', `this exported page has no model to rerun; open the prompt in VS Code, or run: sink-lens ablate --model ${model.path} ${input} --ablate ${list}`);
    },
  })
  .listen({
    ready: () => {
      // No model, settings or editor here: the page offers only what it can do, and says why.
      webview.notify('abilities', {
        models: false,
        editor: false,
        reason: 'An exported page: it shows this run only. To rerun it or try another model, open the prompt in VS Code with Sink Lens, or use the sink-lens CLI.',
      });
      const { prompt, tokens: reportTokens, model } = embedded.report;
      webview.notify('runStarted', {
        runId,
        prompt: prompt.text ?? `[${reportTokens.map((token) => token.id).join(', ')}]`,
        source: prompt.source,
        modelPath: model.path,
        demoModel: embedded.demoModel ?? false,
      });
      webview.notify('runReport', { runId, report: toReportArrays(embedded.report) });
    },
    // State, reveal and command messages mean nothing outside VS Code.
    stateChanged: () => undefined,
    revealToken: () => undefined,
    command: () => undefined,
  });
