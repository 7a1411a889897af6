// Runs every compiled `*.test.js` under out/test with Node's test runner, one suite at a time
// (unit, engine, then each UI file), and ends with each suite's time and result. Listing the files
// explicitly keeps helper modules and the in-VS-Code mocha suite (out/test/extension) out of it.
//
// The UI tests (out/test/ui) drive a real code-server in a real Chromium on a small machine: a
// save dialog or a context menu occasionally misses its moment. Each UI file therefore gets one
// more attempt after a failure, said loudly; a file that fails twice fails the run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'extension' ? [] : findTests(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const timings = [];

function run(name, files) {
  if (files.length === 0) return true;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], { stdio: 'inherit' });
  const passed = result.status === 0;
  timings.push({ name, seconds: (performance.now() - started) / 1000, passed });
  return passed;
}

const only = process.argv.slice(2);
const files = findTests('out/test').filter((file) => only.length === 0 || only.some((part) => file.includes(part)));
const inFolder = (folder) => (file) => file.includes(`${sep}${folder}${sep}`);
const isUi = inFolder('ui');

let failed = false;
for (const suite of ['unit', 'engine']) failed = !run(suite, files.filter(inFolder(suite))) || failed;
failed =
  !run(
    'other',
    files.filter((file) => !isUi(file) && !inFolder('unit')(file) && !inFolder('engine')(file)),
  ) || failed;
for (const file of files.filter(isUi)) {
  const name = relative('out/test', file);
  if (run(name, [file])) continue;
  console.log(`\n!! ${file} failed; UI tests get one more attempt (see scripts/run-tests.mjs)\n`);
  if (!run(`${name} (second attempt)`, [file])) failed = true;
}

console.log('\nSuite times:');
for (const { name, seconds, passed } of timings) console.log(`  ${passed ? 'pass' : 'FAIL'}  ${seconds.toFixed(0).padStart(5)} s  ${name}`);
console.log(`  total ${timings.reduce((sum, { seconds }) => sum + seconds, 0).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
