/**
 * A short soak in CI (the full 200-run one is `npm run soak`): memory does not grow across
 * analyses and model switches. Runs in a child process of its own, so that its RSS is its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedModelsMissing } from '../support/paths';

describe('soak (short)', { skip: sharedModelsMissing() ?? false }, () => {
  it('90 analyses over three models: RSS grows less than 10 % after warm-up', () => {
    const result = spawnSync(process.execPath, ['--expose-gc', join(__dirname, '..', 'soak', 'soakMain.js'), '--runs', '90'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const soak = JSON.parse(result.stdout.trim()) as { growth: number; warmRssMb: number; finalRssMb: number };
    assert.ok(soak.growth < 0.1, `RSS ${soak.warmRssMb.toFixed(0)} → ${soak.finalRssMb.toFixed(0)} MB`);
  });
});
