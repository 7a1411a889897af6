// Runs every compiled `*.test.js` under out/test with Node's test runner. Listing the files
// explicitly keeps helper modules and the in-VS-Code mocha suite (out/test/extension) out of it.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'extension' ? [] : findTests(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = findTests('out/test').filter((file) => only.length === 0 || only.some((part) => file.includes(part)));
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
