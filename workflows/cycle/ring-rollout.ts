import { condition, continueAsNew, getExternalWorkflowHandle, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { MaintenanceWindow, RingName, WorkloadCheck } from '../../config/policy-schema';
import type { AssetResult } from '../../domain/cycle/batch';
import type { RingCounts, RingRolloutProgress } from '../../domain/cycle/cycle-status';
import { currentOrNextWindow } from '../../domain/cycle/maintenance-window';
import { batchActivity } from '../activity-options';
import { pauseSignal, resumeSignal, ringProgressQuery, ringReportSignal } from './messages';

const batch = proxyActivities<PatchctlActivities>(batchActivity);

export interface RingRolloutInput {
  cycleId: string;
  clientId: string;
  ring: RingName;
  attempt: number;
  /** Assets this attempt works on: the ring on attempt 1, the earlier failures on a retry. */
  planned: number;
  batches: number;
  timezone: string;
  maintenanceWindows: MaintenanceWindow[];
  workloadChecks: WorkloadCheck[];
  jobPollIntervalMs: number;
  /**
   * Batches per run before continuing as new even if the server has not suggested it yet: bounds
   * history for a 100,000-asset ring (default 250 batches ≈ 4,000 events).
   */
  batchesPerRun?: number;
  /** Set when the rollout continues as new: where it was and what it had counted. */
  carried?: { nextBatch: number; counts: RingCounts; failedSample: AssetResult[]; paused: boolean };
}

export interface RingRolloutResult extends RingCounts {
  ring: RingName;
  attempt: number;
  /** The first failures, for the gate notice; every outcome is in the batch activity results. */
  failedSample: AssetResult[];
}

const FAILED_SAMPLE = 20;
/**
 * Batch reports to the cycle are at most this often (plus one per maintenance-window wait), so a
 * 1,000-batch ring adds minutes' worth of signals to the cycle's history, not one per batch.
 */
const REPORT_EVERY_MS = 60_000;

/**
 * Deploys one ring (or the failures of an earlier attempt), batch by batch, inside the client's
 * maintenance windows: snapshot → deploy → wait for the jobs → verify. The gate is the parent's.
 */
export async function ringRollout(input: RingRolloutInput): Promise<RingRolloutResult> {
  const counts: RingCounts = input.carried?.counts ?? { planned: input.planned, deployed: 0, verified: 0, failed: 0 };
  const failedSample = input.carried?.failedSample ?? [];
  let paused = input.carried?.paused ?? false;
  const progress: RingRolloutProgress = {
    ring: input.ring,
    attempt: input.attempt,
    phase: 'deploying',
    batchesDone: input.carried?.nextBatch ?? 0,
    batches: input.batches,
    ...counts,
  };
  setHandler(ringProgressQuery, () => ({ ...progress, ...counts }));
  // The cycle's status shows the live counts and window waits of its running ring.
  const cycleId = workflowInfo().parent?.workflowId;
  let reportedAt: number | undefined;
  const report = async () => {
    if (!cycleId) return;
    reportedAt = Date.now();
    await getExternalWorkflowHandle(cycleId).signal(ringReportSignal, { ...progress, ...counts }).catch(() => undefined);
  };
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));

  const firstBatch = input.carried?.nextBatch ?? 0;
  const batchesPerRun = input.batchesPerRun ?? 250;
  for (let batchIndex = firstBatch; batchIndex < input.batches; batchIndex++) {
    if (paused) {
      progress.phase = 'paused';
      await condition(() => !paused);
    }
    // Never deploy outside a window: re-checked before every batch, since a long ring outlives one.
    const window = currentOrNextWindow(new Date(), input.maintenanceWindows, input.timezone);
    const wait = window.opensAt.getTime() - Date.now();
    if (wait > 0) {
      progress.phase = 'waiting-for-window';
      progress.windowOpensAt = window.opensAt.toISOString();
      log.info('waiting for maintenance window', { ring: input.ring, opensAt: progress.windowOpensAt });
      await report();
      await sleep(wait);
      progress.windowOpensAt = undefined;
      progress.phase = 'deploying';
      await report();
    }

    const ref = { cycleId: input.cycleId, clientId: input.clientId, ring: input.ring, batchIndex, attempt: input.attempt };
    progress.phase = 'snapshotting';
    await batch.snapshotBatch(ref);
    progress.phase = 'deploying';
    await batch.deployBatch(ref);
    for (;;) {
      const jobs = await batch.pollBatchJobs({ ...ref, kind: 'deploy' });
      if (jobs.pending === 0) break;
      await sleep(input.jobPollIntervalMs);
    }
    progress.phase = 'verifying';
    const verified = await batch.verifyBatch({ ...ref, workloadChecks: input.workloadChecks });
    counts.deployed += verified.deployed;
    counts.verified += verified.verified;
    counts.failed += verified.failed;
    for (const asset of verified.assets) {
      if (asset.outcome === 'failed' && failedSample.length < FAILED_SAMPLE) failedSample.push(asset);
    }
    progress.batchesDone = batchIndex + 1;
    progress.phase = 'deploying';
    const lastBatch = batchIndex + 1 >= input.batches;
    if (!lastBatch && (reportedAt === undefined || Date.now() - reportedAt >= REPORT_EVERY_MS)) await report();

    const runFull = workflowInfo().continueAsNewSuggested || batchIndex + 1 - firstBatch >= batchesPerRun;
    if (runFull && batchIndex + 1 < input.batches) {
      await continueAsNew<typeof ringRollout>({ ...input, carried: { nextBatch: batchIndex + 1, counts, failedSample, paused } });
    }
  }
  progress.phase = 'done';
  return { ring: input.ring, attempt: input.attempt, ...counts, failedSample };
}
