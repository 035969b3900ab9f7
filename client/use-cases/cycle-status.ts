import type { WorkflowHandle } from '@temporalio/client';
import { isCycleEnded, type CycleStatus, type PatchCycleResult, type RingProgress, type RingRolloutProgress } from '../../domain/cycle/cycle-status';
import { evaluateGate } from '../../domain/cycle/gate';
import { cycleStatusQuery, ringProgressQuery } from '../../workflows/cycle/messages';

/** A ring as `cycle status` shows it: the workflow's counts plus what its running child says now. */
export type ShownRing = RingProgress & {
  live?: Pick<RingRolloutProgress, 'phase' | 'batchesDone' | 'batches' | 'windowOpensAt'>;
  /** Set by the cycle itself once it reports the window wait (phase `awaiting-window`). */
  windowOpensAt?: string;
};
export type ShownStatus = Omit<CycleStatus, 'rings'> & { rings: ShownRing[] };

/**
 * A closed cycle answers from its recorded result: a query would need a worker polling the cycle's
 * task queue, which may be long gone (or another one, like the demo's).
 */
async function closedStatus(handle: WorkflowHandle): Promise<ShownStatus | undefined> {
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
    outcome: {
      status: result.status,
      reason: result.reason,
      endedAt: description.closeTime?.toISOString() ?? '',
      ...(result.notRolledBack ? { notRolledBack: result.notRolledBack } : {}),
    },
  };
}

/** The parent's status, with live batch counts (and the failure rate so far) from the ring deploying now. */
export async function liveStatus(handle: WorkflowHandle): Promise<ShownStatus> {
  const closed = await closedStatus(handle);
  if (closed) return closed;
  const status: ShownStatus = await handle.query(cycleStatusQuery);
  const active = status.rings.find((r) => r.state === 'deploying' && r.workflowId);
  if (active?.workflowId) {
    try {
      const progress = await handle.client.getHandle(active.workflowId).query(ringProgressQuery);
      const earlier = active.attempt > 1 ? { deployed: active.deployed, verified: active.verified } : { deployed: 0, verified: 0 };
      active.deployed = earlier.deployed + progress.deployed;
      active.verified = earlier.verified + progress.verified;
      // The parent computes the rate at the gate; in between it would read 0 % next to a growing failed count.
      active.failed = Math.max(active.failed, progress.failed);
      active.failureRate = evaluateGate({ planned: active.planned, failed: active.failed, threshold: active.threshold }).failureRate;
      active.live = { phase: progress.phase, batchesDone: progress.batchesDone, batches: progress.batches, windowOpensAt: progress.windowOpensAt };
      if (progress.rate) active.rate = progress.rate;
    } catch {
      // The child may be between runs (continue-as-new) or just finished: the parent's counts stand.
    }
  }
  return status;
}

export function cycleEnded(s: Pick<CycleStatus, 'phase'>): boolean {
  return isCycleEnded(s.phase);
}
