// Lint = a few recommended rules + the architecture: each folder imports only from folders to its
// left in LAYERS, and domain/ + workflows/ (which run inside the workflow sandbox) never touch Node
// built-ins, pg, nodemailer or the Temporal client/worker/activity packages.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LAYERS = ['config', 'domain', 'activities', 'workflows', 'workers', 'client', 'tests'];
const SANDBOXED = new Set(['domain', 'workflows']);
/** Deepest folder nesting we generate exact relative-path rules for (e.g. activities/adapters/rmm/x.ts = 3). */
const MAX_DEPTH = 6;

const nodeBuiltins = [...new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/^node:/, '')))];

const sandboxPaths = [
  ...nodeBuiltins.map((name) => ({ name, message: 'workflow-sandbox code has no Node built-ins: do I/O in an activity' })),
  ...['pg', 'nodemailer', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map((name) => ({
    name,
    message: 'domain/ and workflows/ stay deterministic and free of I/O: this belongs in activities/, workers/ or client/',
  })),
];
const sandboxPatterns = [
  { group: ['node:*'], message: 'workflow-sandbox code has no Node built-ins: do I/O in an activity' },
  { group: ['pg/*', 'nodemailer/*', '@temporalio/client/*', '@temporalio/worker/*', '@temporalio/activity/*'], message: 'no I/O packages in domain/ or workflows/' },
];

/** An import that climbs exactly `depth` levels reaches the repo root, then names a top folder. */
function toRootFolder(depth, folders) {
  return `^(\\.\\./){${depth}}(${folders.join('|')})(/|$)`;
}

function layeringPatterns(folder, depth) {
  const index = LAYERS.indexOf(folder);
  const later = LAYERS.slice(index + 1);
  if (later.length === 0) return [];
  const patterns = [];
  if (folder === 'workflows') {
    // Workflows may know activity *types* (proxyActivities<typeof …>) but never load activity code.
    patterns.push({
      regex: toRootFolder(depth, ['activities']),
      caseSensitive: true,
      allowTypeImports: true,
      message: 'workflows/ may import activities only with `import type`',
    });
  }
  patterns.push({
    regex: toRootFolder(depth, later),
    caseSensitive: true,
    message: `${folder}/ may import only from ${LAYERS.slice(0, index).join(', ') || 'no other folder of ours'} (layering: ${LAYERS.join(' ← ')})`,
  });
  return patterns;
}

function folderConfigs() {
  const configs = [];
  for (const folder of LAYERS) {
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      const sandboxed = SANDBOXED.has(folder);
      const patterns = [...(sandboxed ? sandboxPatterns : []), ...layeringPatterns(folder, depth)];
      const paths = sandboxed ? sandboxPaths : [];
      if (patterns.length === 0 && paths.length === 0) continue;
      const dirs = Array.from({ length: depth - 1 }, () => '*').join('/');
      configs.push({
        files: [`${folder}/${dirs ? `${dirs}/` : ''}*.ts`],
        rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] },
      });
    }
  }
  return configs;
}

const nodeGlobals = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'URL', 'AbortController'].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/', '.tools/', 'node_modules/', 'coverage/', '.patchctl/', '**/*.d.ts'] },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: nodeGlobals },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  ...folderConfigs(),
);
