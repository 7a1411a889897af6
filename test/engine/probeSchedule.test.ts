/**
 * The memory claim behind the probes: onnxruntime runs each layer's probes right after that layer,
 * before the next layer's Softmax, so no attention map outlives its layer. Read from onnxruntime's
 * own profile of a real run, node by node: every probe of the layer, the attention each key
 * receives (after its Softmax) and the layer medians of its depths among them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { probeNodePrefix } from '../../src/engine/graph/probes';
import { prepareModel } from '../../src/engine/model/preparedModel';
import { runProbes } from '../../src/engine/probeRun';
import { FIXTURES, fixture } from '../support/fixtures';
import { sharedModelsMissing, stories260k } from '../support/paths';
import { torchMissing } from '../support/torchReference';

async function executionOrder(onnxPath: string, tokens: number): Promise<{ order: string[]; softmaxNodes: string[] }> {
  const prepared = prepareModel(onnxPath);
  const folder = mkdtempSync(join(tmpdir(), 'sink-lens-profile-'));
  const session = await ort.InferenceSession.create(prepared.probedPath, { enableProfiling: true, profileFilePrefix: join(folder, 'run') });
  await runProbes(session, prepared, { rows: [Array.from({ length: tokens }, (_, i) => i % 7)] });
  session.endProfiling();
  await session.release();
  const events = JSON.parse(readFileSync(join(folder, readdirSync(folder)[0]), 'utf8')) as { cat: string; name: string; ts: number }[];
  const order = events
    .filter((event) => event.cat === 'Node' && event.name.endsWith('_kernel_time'))
    .sort((a, b) => a.ts - b.ts)
    .map((event) => event.name.slice(0, -'_kernel_time'.length));
  const softmaxNodes = prepared.layout.layers.map((layer) => {
    if (layer.attention.kind !== 'softmax') throw new Error('this test reads plain-Softmax models');
    return prepared.layout.graph.producer.get(layer.attention.probabilities)!.name;
  });
  return { order, softmaxNodes };
}

function assertProbesRunWithTheirLayer(order: string[], softmaxNodes: string[]): void {
  softmaxNodes.forEach((softmax, layer) => {
    const softmaxAt = order.indexOf(softmax);
    assert.ok(softmaxAt >= 0, `layer ${layer}'s Softmax ${softmax} ran`);
    const probes = order.map((name, i) => [name, i] as const).filter(([name]) => name.startsWith(probeNodePrefix(`layer${layer}`)));
    assert.ok(probes.length > 0, `layer ${layer} has probe nodes in the profile`);
    const nextSoftmaxAt = layer + 1 < softmaxNodes.length ? order.indexOf(softmaxNodes[layer + 1]) : Infinity;
    for (const [name, at] of probes) {
      assert.ok(at < nextSoftmaxAt, `${name} ran at step ${at}, after layer ${layer + 1}'s Softmax (step ${nextSoftmaxAt})`);
    }
    const attention = probes.filter(([name]) => name.includes('/Gather_'));
    assert.ok(
      attention.some(([, at]) => at > softmaxAt),
      `layer ${layer}'s key-0 Gather runs after its Softmax`,
    );
    const received = probes.filter(([name]) => name.startsWith(probeNodePrefix(`layer${layer}/received`)));
    assert.ok(
      received.some(([name]) => name.includes('/ReduceSum_')),
      `layer ${layer}'s attention-received sum over queries ran`,
    );
    for (const [name, at] of received) assert.ok(at > softmaxAt, `${name} (attention received) ran at step ${at}, before its Softmax (step ${softmaxAt})`);
    // The layer median of both depths of the block (and of depth 0 in layer 0) runs with the layer too.
    const medians = probes.filter(([name]) => name.startsWith(probeNodePrefix(`layer${layer}/median`)) && name.includes('/Compress_'));
    assert.equal(medians.length, layer === 0 ? 3 : 2, `layer ${layer}: the selection of each of its depths' layer medians`);
  });
}

describe('probe scheduling (from onnxruntime profiles)', () => {
  it('stories260k: every probe runs before the next layer attends', { skip: sharedModelsMissing() ?? false }, async () => {
    const { order, softmaxNodes } = await executionOrder(join(stories260k, 'model.onnx'), 64);
    assertProbesRunWithTheirLayer(order, softmaxNodes);
  });

  for (const name of [FIXTURES[0], FIXTURES[1]]) {
    it(`${name}: every probe runs before the next layer attends`, { skip: torchMissing() ?? false }, async () => {
      const { order, softmaxNodes } = await executionOrder(join(fixture(name), 'model.onnx'), 32);
      assertProbesRunWithTheirLayer(order, softmaxNodes);
    });
  }
});
