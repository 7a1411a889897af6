// Runs every compiled `*.test.js` under out/test with Node's test runner. Listing the files
// explicitly keeps helper modules and the in-VS-Code mocha suite (out/test/extension) out of it.
//
// The UI tests (out/test/ui) drive a real code-server in a real Chromium on a small machine: a
// save dialog or a context menu occasionally misses its moment. Each UI file therefore gets one
// more attempt after a failure, said loudly; a file that fails twice fails the run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'extension' ? [] : findTests(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

function run(files) {
  if (files.length === 0) return 0;
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], { stdio: 'inherit' });
  return result.status ?? 1;
}

const only = process.argv.slice(2);
const files = findTests('out/test').filter((file) => only.length === 0 || only.some((part) => file.includes(part)));
const isUi = (file) => file.includes(`${sep}ui${sep}`);

let failed = run(files.filter((file) => !isUi(file))) !== 0;
for (const file of files.filter(isUi)) {
  if (run([file]) === 0) continue;
  console.log(`\n!! ${file} failed; UI tests get one more attempt (see scripts/run-tests.mjs)\n`);
  if (run([file]) !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
