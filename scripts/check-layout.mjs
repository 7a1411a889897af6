// What the lint rules cannot say about the tree's shape (npm run lint runs it after ESLint):
//   - the src/ root holds only the entry points (extension.ts, cli.ts, worker.ts) and the folders
//     of the parts (protocol, engine, extension, worker, cli);
//   - no TypeScript file under src/, webview/, test/ or bench/ is over 400 lines.
// Prints one line per problem and exits 1 when there is any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ENTRY_POINTS = new Set(['extension.ts', 'cli.ts', 'worker.ts']);
const PARTS = new Set(['protocol', 'engine', 'extension', 'worker', 'cli']);
const MAX_LINES = 400;

const problems = [];
for (const name of readdirSync('src')) {
  const isFolder = statSync(join('src', name)).isDirectory();
  if (isFolder ? !PARTS.has(name) : !ENTRY_POINTS.has(name)) {
    problems.push(`src/${name}: the src/ root holds only the entry points (${[...ENTRY_POINTS].join(', ')}) and the parts' folders (${[...PARTS].join(', ')})`);
  }
}

function* typescriptFiles(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

for (const root of ['src', 'webview', 'test', 'bench']) {
  for (const path of typescriptFiles(root)) {
    const lines = readFileSync(path, 'utf8').split('\n').length - 1;
    if (lines > MAX_LINES) problems.push(`${path}: ${lines} lines, more than ${MAX_LINES}: split it by what its parts do`);
  }
}

for (const problem of problems) console.error(problem);
process.exit(problems.length > 0 ? 1 : 0);
