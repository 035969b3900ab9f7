#!/usr/bin/env node
// Last step of `npm run build`: pre-bundles the compiled workflow code into dist/workflow-bundle.js so
// production workers start from the bundle (workflowBundle.codePath) instead of running webpack at
// every start, and marks the CLI entry executable.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'workflows', 'index.js');
const out = path.join(root, 'dist', 'workflow-bundle.js');

/** tsc keeps main.js's shebang but not an executable mode; `bin` links and ./dist/client/main.js need it. */
function markCliExecutable() {
  const cli = path.join(root, 'dist', 'client', 'main.js');
  if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
}

async function main() {
  markCliExecutable();
  if (!fs.existsSync(entry)) {
    process.stdout.write(`bundle-workflows: ${path.relative(root, entry)} not built yet (no workflows/index.ts); skipping the workflow bundle\n`);
    return;
  }
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const started = Date.now();
  // tsc copies no .cjs: the failure converter goes beside its compiled codec-keys.js, and into the bundle.
  const failureConverter = path.join(root, 'activities', 'codec', 'failure-converter.cjs');
  fs.copyFileSync(failureConverter, path.join(root, 'dist', 'activities', 'codec', 'failure-converter.cjs'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../dist/workflows'),
    failureConverterPath: failureConverter,
    // Webpack chatter goes nowhere; failures still throw with the offending module named.
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn(message) { process.stderr.write(`bundle-workflows: ${message}\n`); }, error(message) { process.stderr.write(`bundle-workflows: ${message}\n`); } },
  });
  // Write then rename, so a worker never loads a half-written bundle.
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, out);
  process.stdout.write(`bundle-workflows: wrote ${path.relative(root, out)} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)\n`);
}

main().catch((err) => {
  process.stderr.write(`bundle-workflows: could not bundle the workflows: ${err && err.stack ? err.stack : err}\n`);
  process.stderr.write('  fix: a workflow file imports something the sandbox cannot load (Node built-ins, pg, activities at runtime); use `import type` for activities\n');
  process.exit(1);
});
