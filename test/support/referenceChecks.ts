/**
 * The engine's analysis of one prompt against tools/torch_ref/reference.py for the same weights:
 * residual norms, first-token attention, sink scores, the attention each key receives, the layer
 * median magnitudes, MLP activation norms, the P0 hidden state at every depth and one layer's full
 * attention map (and, when asked, the logits).
 */
import assert from 'node:assert/strict';
import type { PromptInput } from '../../src/engine/api';
import type { Analyzer } from '../../src/engine/analyzer';
import type { SinkReport } from '../../src/protocol/report';
import { assertClose } from './compare';
import { Reference, runReference } from './torchReference';

/** attention.received and each depth's layer median (massiveActivations[d].median) against the reference. */
export function assertReceivedAndMedians(report: SinkReport, reference: Reference, rtol = 1e-4): void {
  assert.ok(report.attention.received, 'the report carries attention.received');
  assertClose(report.attention.received, reference.received, 'attention received per key', rtol);
  assertClose(
    report.massiveActivations.map((entry) => entry.median),
    reference.layerMedian,
    'layer median |h| at every depth',
    rtol,
  );
}

/** `referenceArgs`: further reference.py options (its precision, e.g. --bfloat16-values). */
export async function assertMatchesReference(analyzer: Analyzer, referenceModel: string, ids: number[], mapLayer: number, rtol = 1e-4, referenceArgs: string[] = []): Promise<SinkReport> {
  const reference = runReference(referenceModel, ids, ['--full-attention', String(mapLayer), '--no-logits', ...referenceArgs]);
  return compareWithReference(analyzer, reference, ids, mapLayer, rtol);
}

/** As assertMatchesReference, and the model's own logits output too (one reference run for both). */
export async function assertMatchesReferenceWithLogits(analyzer: Analyzer, referenceModel: string, ids: number[], mapLayer: number, logitsOutput = 'logits'): Promise<SinkReport> {
  const reference = runReference(referenceModel, ids, ['--full-attention', String(mapLayer)]);
  const report = await compareWithReference(analyzer, reference, ids, mapLayer, 1e-4);
  const logits = (await analyzer.probe({ rows: [ids], extraOutputs: [logitsOutput] })).extra[logitsOutput];
  assertClose(logits, reference.logits, 'logits', 1e-4, 1e-4);
  return report;
}

async function compareWithReference(analyzer: Analyzer, reference: Reference, ids: number[], mapLayer: number, rtol: number): Promise<SinkReport> {
  const input: PromptInput = { kind: 'ids', ids, source: 'test' };
  const report = await analyzer.analyze(input, { addBos: false });
  assertClose(report.residual.norms, reference.norms, 'residual norms', rtol);
  assertClose(report.attention.firstTokenAttention, reference.firstTokenAttention, 'first-token attention', rtol);
  assertClose(report.attention.sinkScore, reference.sinkScore, 'sink scores', rtol);
  assertReceivedAndMedians(report, reference, rtol);
  report.mlp.layers.forEach((layer, l) => {
    if (reference.mlpNorms[l] === null) assert.equal(layer.norms, null, `layer ${l} is a mixture of experts: no single MLP activation`);
    else assertClose(layer.norms, reference.mlpNorms[l], `layer ${l} MLP activation norms`, rtol);
  });
  assertClose(await analyzer.leadingHiddenStates(input, 1, { addBos: false }), reference.p0Hidden, 'P0 hidden state at every depth', rtol, 1e-5);
  assertClose((await analyzer.attentionMaps(input, mapLayer, { addBos: false })).data, reference.attention!, `layer ${mapLayer} attention map`, rtol);
  return report;
}
