/**
 * Entry of the mocha suite that runs INSIDE the real extension host (code-server's, through the
 * smoke-test driver's payload URL; or Electron's through `npm run test:electron`). VS Code calls
 * run(); a rejection makes the workbench report a non-zero exit code. Results are also written as
 * JSON to $SINK_LENS_TEST_RESULTS when set, so the outer test can print them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { metrics } from './metrics';

/** The suites, in order: onnxExports and wildExports last, since they point sinkLens.modelPath at other models (and restore it). */
export const SUITES = ['sinkLens', 'reliability', 'soak', 'onnxExports', 'wildExports'];

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 180_000 });
  // SINK_LENS_EXTENSION_SUITES=onnxExports,soak runs only those files (for work on one suite); CI runs all.
  const only = (process.env.SINK_LENS_EXTENSION_SUITES ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of SUITES) if (only.length === 0 || only.includes(name)) mocha.addFile(join(__dirname, `${name}.test.js`));
  const results: { title: string; state: string; error?: string }[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const path = process.env.SINK_LENS_TEST_RESULTS;
      if (path) writeFileSync(path, JSON.stringify({ failures, results, metrics }, null, 2));
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
    runner.on('pass', (test) => results.push({ title: test.fullTitle(), state: 'passed' }));
    runner.on('fail', (test, error: Error) => results.push({ title: test.fullTitle(), state: 'failed', error: error.stack ?? String(error) }));
    runner.on('pending', (test) => results.push({ title: test.fullTitle(), state: 'skipped' }));
  });
}
