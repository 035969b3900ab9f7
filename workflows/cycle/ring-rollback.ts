import { continueAsNew, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { RingName } from '../../config/policy-schema';
import { batchActivity, quickActivity } from '../activity-options';

const batch = proxyActivities<PatchctlActivities>(batchActivity);
// The ticket about an incomplete rollback must never hold the rollback up: a few tries, then logged.
const notices = proxyActivities<PatchctlActivities>({ ...quickActivity, retry: { ...quickActivity.retry, maximumAttempts: 5 } });

/** Polls of installs still running before the rollback stops waiting for them (they then count as not rolled back). */
const MAX_INSTALL_WAITS = 20;
/** Polls of the uninstall jobs before the rescan decides what is still there. */
const MAX_UNINSTALL_WAITS = 120;

export interface RingRollbackInput {
  cycleId: string;
  clientId: string;
  ring: RingName;
  batches: number;
  attempts: number;
  reason: string;
  jobPollIntervalMs: number;
  carried?: { nextBatch: number; totals: RingRollbackTotals };
}

interface RingRollbackTotals {
  touched: number;
  rolledBack: number;
  failed: number;
  failures: { hostname: string; detail: string }[];
}

export interface RingRollbackResult extends RingRollbackTotals {
  ring: RingName;
  /** The PSA ticket opened when assets could not be rolled back (absent when all were, or the PSA was down). */
  ticketId?: string;
}

const FAILURE_SAMPLE = 50;

/**
 * Compensation for one ring: batches newest first; installs still in flight are settled first, then
 * snapshot restore for critical systems and uninstall elsewhere, then a rescan of every member proves
 * the rollback. An asset that cannot be rolled back is recorded and the rest still are; when any is
 * left, a PSA ticket names them (the cycle then ends rollback-incomplete).
 */
export async function ringRollback(input: RingRollbackInput): Promise<RingRollbackResult> {
  const totals: RingRollbackTotals = input.carried?.totals ?? { touched: 0, rolledBack: 0, failed: 0, failures: [] };
  const first = input.carried?.nextBatch ?? input.batches - 1;
  for (let batchIndex = first; batchIndex >= 0; batchIndex--) {
    const ref = { cycleId: input.cycleId, clientId: input.clientId, ring: input.ring, batchIndex, attempts: input.attempts };
    let undo = await batch.rollbackBatch(ref);
    for (let waits = 1; (undo.inFlight ?? 0) > 0; waits++) {
      await sleep(input.jobPollIntervalMs);
      undo = await batch.rollbackBatch({ ...ref, stopWaitingForInstalls: waits >= MAX_INSTALL_WAITS });
    }
    totals.touched += undo.touched;
    if (undo.uninstallsSubmitted > 0) {
      for (let waits = 0; waits < MAX_UNINSTALL_WAITS; waits++) {
        const jobs = await batch.pollBatchJobs({ ...ref, attempt: 1, kind: 'uninstall' });
        if (jobs.pending === 0) break;
        await sleep(input.jobPollIntervalMs);
      }
    }
    const proof = await batch.verifyRollbackBatch(ref);
    totals.rolledBack += proof.rolledBack;
    totals.failed += proof.failed;
    for (const asset of proof.assets) {
      if (asset.outcome === 'rollback-failed' && totals.failures.length < FAILURE_SAMPLE) totals.failures.push({ hostname: asset.hostname, detail: asset.detail });
    }
    if (workflowInfo().continueAsNewSuggested && batchIndex > 0) {
      await continueAsNew<typeof ringRollback>({ ...input, carried: { nextBatch: batchIndex - 1, totals } });
    }
  }
  if (totals.failed === 0) return { ring: input.ring, ...totals };
  return { ring: input.ring, ...totals, ticketId: await ticketIncomplete(input, totals) };
}

async function ticketIncomplete(input: RingRollbackInput, totals: RingRollbackTotals): Promise<string | undefined> {
  const hosts = totals.failures.map((f) => `- ${f.hostname}: ${f.detail}`).join('\n');
  try {
    const { ticketId } = await notices.openTicket({
      key: `${input.cycleId}|rollback-incomplete|${input.ring}`,
      clientId: input.clientId,
      summary: `patchctl: ${input.ring} rollback incomplete (${input.cycleId})`.slice(0, 100),
      details: `Rolling back the ${input.ring} ring (${input.reason}) left ${totals.failed} of ${totals.touched} assets with patches still installed:\n${hosts}${totals.failed > totals.failures.length ? `\n(and ${totals.failed - totals.failures.length} more)` : ''}`,
      priority: 'critical',
    });
    return ticketId;
  } catch (error) {
    log.error('could not open the ticket for an incomplete rollback', { ring: input.ring, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
