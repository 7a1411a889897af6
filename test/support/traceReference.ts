/**
 * One checkpoint of a trace over hub revisions against the PyTorch reference: the engine's analysis
 * of the first probe prompt on that revision matches tools/torch_ref/reference.py on its snapshot,
 * the trace's per-prompt numbers are that single-prompt report's, and its loss is the reference's.
 */
import assert from 'node:assert/strict';
import { Analyzer } from '../../src/engine/analyzer';
import { resolveHubSnapshot } from '../../src/engine/hf/hubCache';
import type { TraceCheckpoint } from '../../src/protocol/trace';
import { assertMatchesReference } from './referenceChecks';
import { referenceLoss } from './torchReference';

/** `text`: the trace's first prompt; the checkpoint's source must be a hub revision (HF_HUB_CACHE set). */
export async function assertTraceCheckpointMatchesReference(checkpoint: TraceCheckpoint, text: string): Promise<void> {
  const source = checkpoint.source;
  assert.equal(source?.kind, 'hub', `step ${checkpoint.step} comes from a hub revision`);
  const snapshot = resolveHubSnapshot({ repoId: source.repoId, revision: source.revision }).folder;
  const analyzer = await Analyzer.open(checkpoint.path, { device: 'cpu' });
  try {
    const ids = (await analyzer.tokenize({ kind: 'text', text, source: 'test' }, { addBos: true })).tokens.map((token) => token.id);
    const report = await assertMatchesReference(analyzer, snapshot, ids, 2);
    assert.deepEqual(checkpoint.prompts[0].sinkRate, report.attention.sinkRate);
    assert.deepEqual(checkpoint.prompts[0].p0NormRatio, report.residual.p0NormRatio);
    const loss = referenceLoss(snapshot, ids);
    assert.ok(Math.abs(checkpoint.prompts[0].loss - loss) < 1e-4 * loss, `step ${checkpoint.step}: loss ${checkpoint.prompts[0].loss} vs reference ${loss}`);
  } finally {
    await analyzer.dispose();
  }
}
