/** What the UI trace tests share: the trace the built CLI gives for a hub model's revisions (what the panel is compared with), and reading the quick pick and the panel. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { TraceCheckpoint, TraceDocument } from '../../src/protocol/trace';
import { REPO } from './codeServer';

/** `sink-lens trace --checkpoints MODEL [--revisions …]` with HF_HUB_CACHE = hub, its caches under root. */
export function cliHubTrace(root: string, hub: string, model: string, prompts: string, revisions?: string[]): TraceDocument {
  const out = join(root, 'cli-trace.json');
  const result = spawnSync(
    process.execPath,
    [
      join(REPO, 'dist', 'cli.js'),
      'trace',
      '--checkpoints',
      model,
      ...(revisions ? ['--revisions', revisions.join(',')] : []),
      '--prompts',
      prompts,
      '--device',
      'cpu',
      '--out',
      out,
      '--cache',
      join(root, 'cli-cache'),
    ],
    { encoding: 'utf8', env: { ...process.env, HF_HUB_CACHE: hub, SINK_LENS_CACHE: join(root, 'cli-graphs') } },
  );
  assert.equal(result.status, 0, `the CLI traced the same revisions: ${result.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
}

export const quickPickRow = (page: Page, text: string) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();

/** A panel statistic's exact value (its data-value attribute). */
export const numberOf = async (view: FrameLocator, testId: string) => Number(await view.getByTestId(testId).getAttribute('data-value'));

/** The panel's selected checkpoint is `expected` (the CLI's): its step, revision and commit, sink rate and loss; returns the sink rate shown. */
export async function assertSelectedCheckpoint(view: FrameLocator, expected: TraceCheckpoint): Promise<number> {
  await view.locator(`[data-testid="selected-step"][data-step="${expected.step}"]`).waitFor();
  const source = view.getByTestId('checkpoint-source');
  assert.equal(expected.source?.kind, 'hub');
  assert.equal(await source.getAttribute('data-revision'), expected.source.revision);
  assert.equal(await source.getAttribute('data-commit'), expected.source.commit);
  const sinkRate = await numberOf(view, 'stat-sink-rate');
  assert.equal(sinkRate.toFixed(6), expected.sinkRate.all.toFixed(6), `step ${expected.step}: the panel's sink rate is the CLI's`);
  assert.equal((await numberOf(view, 'stat-loss')).toFixed(6), expected.loss.toFixed(6), `step ${expected.step}: the panel's loss is the CLI's`);
  return sinkRate;
}
