import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RingProgress } from '../../domain/cycle/cycle-status';
import { phaseText, printCycleStatus, statusLine } from '../../client/cli/cycle/cycle-view';
import { watchCycle } from '../../client/cli/cycle/status';
import type { ShownRing, ShownStatus } from '../../client/use-cases/cycle-status';

function ring(name: RingProgress['ring'], extra: Partial<ShownRing> = {}): ShownRing {
  return { ring: name, state: 'pending', attempt: 1, batches: 1, planned: 10, deployed: 0, verified: 0, failed: 0, failureRate: 0, threshold: 0.2, ...extra };
}

function status(phase: string, rings: ShownRing[]): ShownStatus {
  return {
    cycleId: 'cycle/acme-dental/e2e-1',
    clientId: 'acme-dental',
    requestedBy: 'engineer@msp.test',
    phase: phase as ShownStatus['phase'],
    paused: false,
    startedAt: '2026-12-01T00:00:00.000Z',
    rings,
    deadlines: [],
    excluded: [],
    excludedCount: 0,
    patches: 3,
    decisions: [],
  };
}

let out = '';
afterEach(() => {
  vi.restoreAllMocks();
  out = '';
});
function captureStdout(): void {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
}

describe('cycle status text', () => {
  it('says the ring waits for its maintenance window and when it opens', () => {
    const waiting = status('deploying', [ring('canary', { state: 'deploying', live: { phase: 'waiting-for-window', batchesDone: 0, batches: 1, windowOpensAt: '2026-12-05T02:00:00.000Z' } })]);
    expect(phaseText(waiting)).toBe('waiting for maintenance window, opens 2026-12-05T02:00:00.000Z (canary)');
    // The cycle's own phase, once it reports it, says the same.
    const fromCycle = status('awaiting-window', [ring('canary', { state: 'deploying', windowOpensAt: '2026-12-05T02:00:00.000Z' })]);
    expect(phaseText(fromCycle)).toContain('opens 2026-12-05T02:00:00.000Z');
  });

  it('prints the id in its short form and the failure rate it was given', () => {
    captureStdout();
    printCycleStatus(status('deploying', [ring('canary', { state: 'deploying', failed: 3, failureRate: 0.3 })]));
    expect(out).toContain('acme-dental/e2e-1  phase: deploying');
    expect(out).not.toContain('cycle/acme-dental');
    expect(out).toContain('30.0 %');
  });
});

describe('cycle status --watch without a terminal', () => {
  it('prints one line per change, ending with the final state', async () => {
    captureStdout();
    const sequence = [
      status('deploying', [ring('canary', { state: 'deploying', verified: 5, failed: 1, failureRate: 0.1 })]),
      status('deploying', [ring('canary', { state: 'deploying', verified: 5, failed: 1, failureRate: 0.1 })]),
      status('soaking', [ring('canary', { state: 'soaking', verified: 9, failed: 1, failureRate: 0.1 })]),
      status('completed', [ring('canary', { state: 'passed', verified: 9, failed: 1, failureRate: 0.1 })]),
    ];
    let i = 0;
    const final = await watchCycle(async () => sequence[++i]!, sequence[0]!, 1, (s) => s.phase === 'completed', false);
    expect(final.phase).toBe('completed');
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(statusLine(sequence[0]!));
    expect(lines[0]).toContain('acme-dental/e2e-1 deploying · canary deploying 6/10 (failed 1, 10.0 %)');
    expect(lines[2]).toContain('completed');
  });
});
