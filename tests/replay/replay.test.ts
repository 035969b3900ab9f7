import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../support/cycle-harness';

// Committed histories of real runs. If a workflow change makes one of them diverge, running cycles
// would break on deploy: guard the change with patched() or keep the commands in the same order.

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of committed workflow histories', () => {
  it('has fixtures for a completed cycle, a rolled-back one (parent and ring children) and an expired exception', () => {
    expect(files.some((f) => f.startsWith('completed--cycle%2F'))).toBe(true);
    expect(files.some((f) => f.startsWith('gate-rollback--') && f.endsWith('%2Frollback.json'))).toBe(true);
    expect(files.some((f) => f.startsWith('exception-expired--exception%2F'))).toBe(true);
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const workflowId = decodeURIComponent(file.slice(file.indexOf('--') + 2).replace(/\.json$/, ''));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  });
});
