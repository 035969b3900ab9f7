import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { RingName } from '../../config/policy-schema';
import { batchActivity } from '../activity-options';

const batch = proxyActivities<PatchctlActivities>(batchActivity);

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
}

const FAILURE_SAMPLE = 50;

/**
 * Compensation for one ring: batches newest first, snapshot restore for critical systems and
 * uninstall elsewhere, then a rescan proves the rollback. An asset that cannot be rolled back is
 * recorded and the rest still are.
 */
export async function ringRollback(input: RingRollbackInput): Promise<RingRollbackResult> {
  const totals: RingRollbackTotals = input.carried?.totals ?? { touched: 0, rolledBack: 0, failed: 0, failures: [] };
  const first = input.carried?.nextBatch ?? input.batches - 1;
  for (let batchIndex = first; batchIndex >= 0; batchIndex--) {
    const ref = { cycleId: input.cycleId, clientId: input.clientId, ring: input.ring, batchIndex, attempts: input.attempts };
    const undo = await batch.rollbackBatch(ref);
    totals.touched += undo.touched;
    if (undo.uninstallsSubmitted > 0) {
      for (;;) {
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
  return { ring: input.ring, ...totals };
}
