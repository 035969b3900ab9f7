import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './cli';

// `npm test` output is read by people: the SDK's and the core's routine logs (worker state changes,
// the time-skipping server's missing-capability warning, once per worker) drown the real failures.

describe('test output', () => {
  it('a workflow test file on the time-skipping server prints only the test report', () => {
    const vitest = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const run = spawnSync(process.execPath, [vitest, 'run', 'tests/workflows/ring-rollout.test.ts', '--reporter=dot', '--color=false'], {
      cwd: REPO_ROOT,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).not.toContain('temporalio_sdk_core');
    expect(output).not.toContain('Worker state changed');
    expect(output).not.toMatch(/\[INFO\]/);
  });
});
