// `npm run package`: builds the production bundles and packages a platform VSIX (default
// linux-x64) from a staged copy that holds only what the extension loads at run time. The staged
// node_modules keep one platform's native binaries: onnxruntime-node and tokenizers ship every
// platform's (~350 MB), and .vscodeignore cannot express "all but one platform" (108 MB).
//
//   node scripts/package-vsix.mjs [--target linux-x64] [--out FILE.vsix]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argument = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const target = argument('--target', 'linux-x64');
const [platform, arch] = target.split('-');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = resolve(argument('--out', join(root, `${pkg.name}-${target}-${pkg.version}.vsix`)));

// 1. Production bundles (minified, no source maps).
execFileSync(process.execPath, [join(root, 'esbuild.mjs'), '--production'], { cwd: root, stdio: 'inherit' });

// 2. Stage.
const stage = mkdtempSync(join(tmpdir(), 'sink-lens-vsix-'));
const copy = (relative) => {
  const from = join(root, relative);
  if (existsSync(from)) cpSync(from, join(stage, relative), { recursive: true, dereference: true });
};
for (const file of ['extension.js', 'worker.js', 'webview.js', 'webview.css', 'cli.js']) copy(join('dist', file));
for (const file of ['trace.js', 'trace.css']) copy(join('dist', file));
for (const file of ['analyses.js', 'analyses.css']) copy(join('dist', file));
copy('media');
copy('models/sinklet');
// The training checkpoints (about 4 MB) stay: they are "Sink Lens: Open Demo Trace".
copy('LICENSE');
copy('CHANGELOG.md');

// The runtime dependency closure, from the lockfile's non-dev packages.
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path && path.startsWith('node_modules/') && !entry.dev && !entry.devOptional) copy(path);
}
pruneOtherPlatforms(stage, platform, arch);
// vsce's targets say `alpine-x64` for musl Linux; both binaries live in the `linux` folders.

// A manifest without build scripts or dev dependencies (vsce would try to run them).
const manifest = { ...pkg, scripts: {}, devDependencies: {} };
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
const readme = existsSync(join(root, 'docs', 'EXTENSION.md')) ? readFileSync(join(root, 'docs', 'EXTENSION.md'), 'utf8') : `# ${pkg.displayName}\n\n${pkg.description}\n`;
writeFileSync(join(stage, 'README.md'), readme.replace(/\]\((?!https?:|#)[^)]*\)/g, ']()'));
writeFileSync(join(stage, '.vscodeignore'), '**/*.map\n**/*.d.ts\n**/*.md\n!README.md\n**/test/**\n');

// 3. Package. vsce takes node_modules from `npm list --production` in the stage: exactly what was copied.
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
execFileSync(process.execPath, [vsce, 'package', '--target', target, '--allow-missing-repository', '--skip-license', '--out', out], {
  cwd: stage,
  stdio: 'inherit',
});
rmSync(stage, { recursive: true, force: true });
console.log(`packaged ${out} (${(statSync(out).size / 1024 / 1024).toFixed(1)} MB)`);

function pruneOtherPlatforms(folder, target, arch) {
  const platform = target === 'alpine' ? 'linux' : target;
  const abi = target === 'alpine' ? '-musl' : target === 'linux' ? '-gnu' : '';
  // onnxruntime-node: bin/napi-v*/<platform>/<arch>/
  const ortBin = join(folder, 'node_modules', 'onnxruntime-node', 'bin');
  if (existsSync(ortBin)) {
    for (const napi of readdirSync(ortBin)) {
      for (const os of readdirSync(join(ortBin, napi))) {
        if (os !== platform) {
          rmSync(join(ortBin, napi, os), { recursive: true, force: true });
          continue;
        }
        for (const cpu of readdirSync(join(ortBin, napi, os))) {
          if (cpu !== arch) rmSync(join(ortBin, napi, os, cpu), { recursive: true, force: true });
        }
      }
    }
  }
  // tokenizers: tokenizers.<platform>-<arch>[-abi].node next to index.js; Linux keeps its libc's build.
  const tokenizers = join(folder, 'node_modules', 'tokenizers');
  if (existsSync(tokenizers)) {
    for (const file of readdirSync(tokenizers)) {
      if (file.endsWith('.node') && !file.startsWith(`tokenizers.${platform}-${arch}${abi}`)) rmSync(join(tokenizers, file));
    }
  }
}
