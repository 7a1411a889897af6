// One build for every bundle. Type-checking is separate (`npm run typecheck`), as in
// vscode-extension-samples/esbuild-sample. `--production` minifies, `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Native addons stay outside the bundles and are loaded from node_modules at run time.
const nodeExternals = ['vscode', 'onnxruntime-node', 'tokenizers'];

const bundles = [
  { entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', platform: 'node', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node' },
  { entryPoints: ['src/worker.ts'], outfile: 'dist/worker.js', platform: 'node' },
  { entryPoints: ['webview/report/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife' },
  { entryPoints: ['webview/report/styles.css'], outfile: 'dist/webview.css', platform: 'browser' },
  { entryPoints: ['webview/trace/main.ts'], outfile: 'dist/trace.js', platform: 'browser', format: 'iife' },
  { entryPoints: ['webview/trace/styles.css'], outfile: 'dist/trace.css', platform: 'browser' },
  { entryPoints: ['webview/analyses/main.ts'], outfile: 'dist/analyses.js', platform: 'browser', format: 'iife' },
  { entryPoints: ['webview/analyses/styles.css'], outfile: 'dist/analyses.css', platform: 'browser' },
  { entryPoints: ['webview/static/staticHost.ts'], outfile: 'dist/static-host.js', platform: 'browser', format: 'iife' },
  { entryPoints: ['webview/static/traceHost.ts'], outfile: 'dist/static-trace-host.js', platform: 'browser', format: 'iife' },
].filter((bundle) => existsSync(bundle.entryPoints[0]));

const contexts = await Promise.all(
  bundles.map((bundle) =>
    esbuild.context({
      bundle: true,
      format: 'cjs',
      target: bundle.platform === 'node' ? 'node20' : 'es2022',
      external: bundle.platform === 'node' ? nodeExternals : [],
      sourcemap: !production,
      minify: production,
      logLevel: 'warning',
      ...bundle,
    }),
  ),
);

if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
}
