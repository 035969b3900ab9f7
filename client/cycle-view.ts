import type { WorkflowHandle } from '@temporalio/client';
import type { CycleStatus, RingProgress } from '../domain/cycle-status';
import { cycleStatusQuery, ringProgressQuery } from '../workflows/cycle/messages';
import type { PatchCycleResult } from '../domain/cycle-status';
import { info, printTable } from './output';

/**
 * A closed cycle answers from its recorded result: a query would need a worker polling the cycle's
 * task queue, which may be long gone (or another one, like the demo's).
 */
async function closedStatus(handle: WorkflowHandle): Promise<CycleStatus | undefined> {
  const description = await handle.describe();
  if (description.status.name !== 'COMPLETED') return undefined;
  const result = (await handle.result()) as PatchCycleResult;
  const [, clientId = ''] = result.cycleId.split('/');
  return {
    cycleId: result.cycleId,
    clientId,
    requestedBy: '',
    phase: result.status,
    paused: false,
    startedAt: description.startTime.toISOString(),
    rings: result.rings,
    deadlines: [],
    excluded: result.excluded ?? [],
    excludedCount: result.excluded?.length ?? 0,
    patches: 0,
    decisions: result.decisions,
    outcome: { status: result.status, reason: result.reason, endedAt: description.closeTime?.toISOString() ?? '' },
  };
}

/** The parent's status, with live batch counts from the ring that is deploying right now. */
export async function liveStatus(handle: WorkflowHandle): Promise<CycleStatus> {
  const closed = await closedStatus(handle);
  if (closed) return closed;
  const status = await handle.query(cycleStatusQuery);
  const active = status.rings.find((r) => r.state === 'deploying' && r.workflowId);
  if (active?.workflowId) {
    try {
      const progress = await handle.client.getHandle(active.workflowId).query(ringProgressQuery);
      const earlier = active.attempt > 1 ? { deployed: active.deployed, verified: active.verified } : { deployed: 0, verified: 0 };
      Object.assign(active, {
        deployed: earlier.deployed + progress.deployed,
        verified: earlier.verified + progress.verified,
        failed: progress.failed,
        live: { phase: progress.phase, batchesDone: progress.batchesDone, batches: progress.batches, windowOpensAt: progress.windowOpensAt },
      });
    } catch {
      // The child may be between runs (continue-as-new) or just finished: the parent's counts stand.
    }
  }
  return status;
}

const pct = (n: number) => `${(n * 100).toFixed(1)} %`;

function duration(ring: RingProgress): string {
  if (!ring.startedAt) return '';
  const end = ring.endedAt ? Date.parse(ring.endedAt) : Date.now();
  const s = Math.max(0, Math.round((end - Date.parse(ring.startedAt)) / 1000));
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`;
}

export function printCycleStatus(status: CycleStatus): void {
  info(`${status.cycleId}  phase: ${status.phase}${status.paused ? ' (paused)' : ''}${status.requestedBy ? `  requested by ${status.requestedBy}` : ''}`);
  printTable(
    ['ring', 'state', 'planned', 'deployed', 'verified', 'failed', 'failure rate', 'threshold', 'duration'],
    status.rings.map((r) => [r.ring, r.state, r.planned, r.deployed, r.verified, r.failed, pct(r.failureRate), pct(r.threshold), duration(r)]),
  );
  if (status.pending) {
    const p = status.pending;
    info(`waiting for: ${p.kind === 'promotion' ? `approval to promote to ${p.ring}` : `a decision on the ${p.ring} gate`} (${p.reason ?? ''})`);
    info(`  who may decide: ${p.deciders.join(', ') || 'nobody named'}${p.decideBy ? `; rolls back by itself at ${p.decideBy}` : ''}`);
  }
  const atRisk = status.deadlines.filter((d) => d.atRisk);
  for (const d of atRisk) info(`SLA at risk: ${d.assets} ${d.assetClass} assets (${d.severity}) due ${d.deadline}`);
  if (status.excludedCount > 0) info(`excluded: ${status.excludedCount} assets (${status.excluded.slice(0, 5).map((e) => e.hostname).join(', ')}${status.excludedCount > 5 ? ', …' : ''})`);
  if (status.outcome) info(`outcome: ${status.outcome.status} — ${status.outcome.reason}`);
}
