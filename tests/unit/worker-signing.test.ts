import { describe, expect, it } from 'vitest';
import { startWorker } from '../../workers/start-worker';
import { loadTestPolicy } from '../support/cycle-harness';

// A worker outside the dev stack must not run with signing off by accident.

describe('worker start with signing off', () => {
  const base = { temporalAddress: '127.0.0.1:1', namespace: 'default', taskQueue: 'q', databaseUrl: 'postgresql://nobody@127.0.0.1:1/none' };

  it('refuses to start without the explicit opt-out, naming it', async () => {
    const policy = loadTestPolicy();
    expect(policy.signing.requireSignedApprovals).toBe(false);
    await expect(startWorker({ ...base, policy })).rejects.toThrow(/signing.requireSignedApprovals off.*--allow-unsigned/);
  });

  it('warns loudly when the operator opted out, then goes on starting', async () => {
    const warnings: string[] = [];
    const started = startWorker({ ...base, policy: loadTestPolicy(), unsignedDecisions: 'allow-unsigned', warn: (m) => warnings.push(m) });
    // It gets past the check and fails later, at the unreachable database.
    await expect(started).rejects.not.toThrow(/--allow-unsigned to accept/);
    expect(warnings).toEqual([expect.stringMatching(/^WARNING \(--allow-unsigned\): decisions are NOT required to be signed/)]);
  });
});
