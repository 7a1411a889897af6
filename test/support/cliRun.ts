/** The CLI as a real process, and the shape every error of it has: one line, the right exit code, no stack. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from './paths';

export function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function assertOneLineError(result: ReturnType<typeof cli>, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], /^sink-lens: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}
