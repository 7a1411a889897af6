// ESLint 9 (flat config) with typescript-eslint, and the import boundaries of the layers
// (README, "For developers"): src/protocol is a leaf; the engine imports the engine and the
// protocol; the worker and the CLI the engine and the protocol; the extension layer never the
// webviews; the webviews only webview/ and src/protocol; nothing imports an entry point (src/*.ts).
// scripts/check-layout.mjs adds what a rule cannot say (only entry points at the src/ root, no
// file over 400 lines). `npm run lint` runs both.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** `depth` levels of '../' exactly: from a file that deep below src/<part>/, that lands in src/. */
const up = (depth) => (depth === 0 ? '\\./' : `(\\.\\./){${depth}}`);
const DEPTHS = [1, 2, 3, 4];
const below = (part, depth) => `src/${part}/${'*/'.repeat(depth - 1)}*.ts`;

/**
 * The import boundary of one part of src/: from any depth below src/<part>/ (and from its entry
 * point src/<entry>.ts), no import may reach src/<forbidden>, an entry point, or out of src/.
 */
function boundary(part, forbidden, message, { entry, extra = [], paths = [] } = {}) {
  const blocks = DEPTHS.map((depth) => ({
    files: [below(part, depth)],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths,
          patterns: [
            ...(forbidden.length ? [{ regex: `^${up(depth)}(${forbidden.join('|')})(\\.ts)?(/|$)`, message }] : []),
            { regex: `^${up(depth)}(extension|cli|worker)(\\.ts)?$`, message: 'Entry points are not imported: import the module that holds what you need.' },
            { regex: `^${up(depth + 1)}`, message: 'src/ imports nothing outside src/.' },
            ...extra.map((pattern) => ({ ...pattern, regex: pattern.regex.replaceAll('<up>', up(depth)) })),
          ],
        },
      ],
    },
  }));
  if (entry) {
    blocks.push({
      files: [`src/${entry}.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths,
            patterns: [
              { regex: `^\\./(${[...forbidden, 'extension', 'cli', 'worker'].filter((name) => name !== entry).join('|')})(\\.ts)?(/|$)`, message },
              { regex: '^\\.\\./', message: 'src/ imports nothing outside src/.' },
            ],
          },
        ],
      },
    });
  }
  return blocks;
}

const VSCODE = [{ name: 'vscode', message: 'Only the extension layer (src/extension, src/extension.ts) imports vscode.' }];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', 'models/**', 'test-results/**', 'tools/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Unused parameters and destructured fields are named for what they are; a leading _ says "unused on purpose".
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Test doubles and the extension-host suite patch methods of live objects; a few non-null assertions say "this was checked above".
      '@typescript-eslint/no-non-null-assertion': 'off',
      // The extension host loads `require`d modules in tests only.
      '@typescript-eslint/no-require-imports': 'off',
      // Comma expressions in arrow bodies are used sparingly for "do this, then answer".
      'no-sequences': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // src/protocol is the contract: a leaf that imports nothing of the project and no package.
  ...boundary('protocol', [], 'src/protocol imports nothing else of the project.', {
    extra: [
      { regex: '^<up>', message: 'src/protocol is a leaf: it imports nothing else of the project.' },
      { regex: '^[^.]', message: 'src/protocol is a leaf: no packages, no node: builtins.' },
    ],
  }),
  // The engine: plain Node, imports only the engine and the protocol.
  ...boundary('engine', ['extension', 'worker', 'cli'], 'src/engine imports only src/engine and src/protocol.', { paths: VSCODE }),
  // The worker (process) and the CLI: the engine and the protocol.
  ...boundary('worker', ['extension', 'cli'], 'The worker imports only src/engine, src/protocol and src/worker.', { entry: 'worker', paths: VSCODE }),
  ...boundary('cli', ['extension', 'worker'], 'The CLI imports only src/engine, src/protocol and src/cli.', { entry: 'cli', paths: VSCODE }),
  // The extension layer: the worker and the webviews through the protocol, never their code.
  ...boundary('extension', ['worker', 'cli'], 'The extension layer talks to the worker and the webviews through src/protocol, not their code.', { entry: 'extension' }),
  // The webviews: webview/ and src/protocol only (chart.js and the vscode-elements are packages).
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: VSCODE,
          patterns: [
            { regex: '^(\\.\\./)+src/(?!protocol/)', message: 'A webview imports only webview/ and src/protocol.' },
            { regex: '^(\\.\\./){3,}', message: 'A webview imports only webview/ and src/protocol.' },
            { regex: '^node:', message: 'A webview runs in the browser.' },
          ],
        },
      ],
    },
  },
  // Tests may reach any part, but not an entry point (src/extension/sinkLens.ts has the API's type).
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/(extension|cli|worker)(\\.ts)?$', message: 'Import the module that holds what a test needs, not an entry point.' }] }],
    },
  },
);
