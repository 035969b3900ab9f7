import type { RingName } from '../../config/policy-schema';
import type { RollbackBatchResult, VerifyRollbackResult } from '../../domain/cycle/batch';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from '../heartbeat-ticker';
import { mapLimit } from '../map-limit';
import {
  finishJobWithStateChange,
  loadDeploymentJobs,
  loadRingBatch,
  loadSnapshots,
  markSnapshotRestored,
  recordDeploymentJob,
  recordOutcomesWithStateChanges,
  type BatchMember,
  type DeploymentJob,
  type SnapshotRecord,
} from '../store/ring-batch-store';
import { errorDetail, isAssetRefusal } from './asset-errors';
import { jobKey, VENDOR_CONCURRENCY } from './ring-batches';

// Rollback converges on what the RMM says, not on what the job ledger hoped: jobs still in flight
// are settled first, every member of a touched batch is rescanned (a submit that reached the vendor
// but never the ledger is undone too), and only a rescan showing every patch gone counts as rolled
// back. Vendor trouble (429, 5xx, timeouts) is thrown for Temporal to retry; only a vendor's final
// refusal about one asset, or a rescan that still shows the patch, leaves that asset rollback-failed.

export interface RollbackRef {
  cycleId: string;
  clientId: string;
  ring: RingName;
  batchIndex: number;
  /** Highest attempt the ring reached: deploy keys of every attempt are looked at. */
  attempts: number;
  /**
   * Set once the rollback has waited long enough for in-flight installs: undo what the rescan shows
   * now; an install still running then leaves its asset rollback-failed instead of waiting forever.
   */
  stopWaitingForInstalls?: boolean;
}

interface MemberLedger {
  member: BatchMember;
  deploys: DeploymentJob[];
  snapshot?: SnapshotRecord;
}

interface BatchLedger {
  /** Whether anything of this batch ever reached a vendor (a job or a snapshot was recorded). */
  touched: boolean;
  members: MemberLedger[];
}

const uninstallKey = (ref: RollbackRef, hostname: string, patchId: string) => jobKey({ ...ref, attempt: 1 }, hostname, patchId, 'uninstall');

async function batchLedger(deps: ActivityDeps, ref: RollbackRef): Promise<BatchLedger> {
  const members = await loadRingBatch(deps.db, ref.cycleId, ref.ring, ref.batchIndex);
  const deployKeys = (m: BatchMember) => m.patchIds.flatMap((p) => Array.from({ length: ref.attempts }, (_, i) => jobKey({ ...ref, attempt: i + 1 }, m.hostname, p, 'deploy')));
  const ledger = await loadDeploymentJobs(deps.db, members.flatMap(deployKeys));
  const snapshots = await loadSnapshots(deps.db, ref.cycleId, ref.ring, members.map((m) => m.hostname));
  const rows = members.map((member) => ({
    member,
    deploys: deployKeys(member).map((k) => ledger.get(k)).filter((j): j is DeploymentJob => j !== undefined),
    snapshot: snapshots.get(member.hostname),
  }));
  return { touched: ledger.size > 0 || snapshots.size > 0, members: rows };
}

/**
 * Settles the batch's in-flight installs (asks the RMM, records the ones that ended), then undoes
 * every install a rescan shows: the verified snapshot is restored on critical systems, patches are
 * uninstalled elsewhere. While installs are still running it returns their count and undoes nothing
 * yet: uninstalling under a running install would race it. Safe to repeat.
 */
export function rollbackBatch(deps: ActivityDeps, ref: RollbackRef): Promise<RollbackBatchResult> {
  return whileHeartbeating((signal) => undoBatch(deps, ref, signal));
}

async function undoBatch(deps: ActivityDeps, ref: RollbackRef, signal: AbortSignal | undefined): Promise<RollbackBatchResult> {
  const batch = await batchLedger(deps, ref);
  const result: RollbackBatchResult & { inFlight: number } = { touched: 0, restored: 0, uninstallsSubmitted: 0, inFlight: 0, failures: [] };
  if (!batch.touched) return result;
  const { rmm, snapshot } = deps.adaptersFor(ref.clientId);

  const running = batch.members.flatMap((m) => m.deploys.filter((j) => j.state === 'submitted').map((job) => ({ member: m.member, job })));
  await mapLimit(running, VENDOR_CONCURRENCY, async ({ member, job }) => {
    const status = await rmm.jobStatus(ref.clientId, job.vendorJobId);
    if (status.state !== 'succeeded' && status.state !== 'failed') {
      result.inFlight++;
      return;
    }
    const change = { assetId: member.assetId, patchId: job.patchId, to: status.state === 'succeeded' ? ('deployed' as const) : ('failed' as const), detail: status.detail };
    await finishJobWithStateChange(deps.db, { key: job.key, state: status.state, detail: status.detail }, { cycleId: ref.cycleId, ring: ref.ring, change });
  }, { signal });
  if (result.inFlight > 0 && !ref.stopWaitingForInstalls) return result;

  const uninstalls = await loadDeploymentJobs(deps.db, batch.members.flatMap(({ member }) => member.patchIds.map((p) => uninstallKey(ref, member.hostname, p))));
  await mapLimit(batch.members, VENDOR_CONCURRENCY, async ({ member, snapshot: saved }) => {
    try {
      if (saved?.restored) {
        // A retry after the restore was marked: the approvals may not have been withdrawn yet (idempotent).
        for (const patchId of member.patchIds) await rmm.withdrawApproval?.(ref.clientId, member.hostname, patchId);
        result.touched++;
        return;
      }
      const scan = await rmm.rescan(ref.clientId, member.hostname, member.patchIds);
      const installed = member.patchIds.filter((p) => scan.installed[p]);
      if (installed.length === 0) return;
      result.touched++;
      if (member.snapshotRequired && saved?.verified) {
        const restore = await snapshot.restore(ref.clientId, saved.snapshotId);
        if (restore.ok) {
          await markSnapshotRestored(deps.db, ref.cycleId, ref.ring, member.hostname);
          // The disk forgot the patch; an approval left in the RMM would install it again.
          for (const patchId of installed) await rmm.withdrawApproval?.(ref.clientId, member.hostname, patchId);
          result.restored++;
          return;
        }
        // The snapshot would not come back: uninstalling is still better than leaving the patch.
        result.failures.push({ hostname: member.hostname, detail: `snapshot restore failed (${restore.detail}); uninstalling instead` });
      }
      for (const patchId of installed) {
        const key = uninstallKey(ref, member.hostname, patchId);
        if (uninstalls.has(key)) continue;
        const { jobId } = await rmm.submitUninstall({ key, clientId: ref.clientId, cycleId: ref.cycleId, ring: ref.ring, hostname: member.hostname, patchId });
        await recordDeploymentJob(deps.db, { key, kind: 'uninstall', cycleId: ref.cycleId, ring: ref.ring, hostname: member.hostname, patchId, vendorJobId: jobId });
        result.uninstallsSubmitted++;
      }
    } catch (error) {
      if (!isAssetRefusal(error)) throw error;
      result.failures.push({ hostname: member.hostname, detail: errorDetail(error) });
    }
  }, { signal });
  result.failures.sort((a, b) => a.hostname.localeCompare(b.hostname));
  return result;
}

/**
 * The proof: every member of the batch is rescanned, restored ones included (which also refreshes
 * the RMM's view, so the next plan sees their patches missing again). An asset is rolled back only
 * when the rescan shows none of its patches; otherwise rollback-failed, with what is still there.
 */
export function verifyRollbackBatch(deps: ActivityDeps, ref: RollbackRef): Promise<VerifyRollbackResult> {
  return whileHeartbeating((signal) => proveBatch(deps, ref, signal));
}

type Proof = { member: BatchMember; outcome: 'rolled-back' | 'rollback-failed'; detail: string } | undefined;

async function proveBatch(deps: ActivityDeps, ref: RollbackRef, signal: AbortSignal | undefined): Promise<VerifyRollbackResult> {
  const batch = await batchLedger(deps, ref);
  if (!batch.touched) return { assets: [], rolledBack: 0, failed: 0 };
  const uninstalls = await loadDeploymentJobs(deps.db, batch.members.flatMap(({ member }) => member.patchIds.map((p) => uninstallKey(ref, member.hostname, p))));
  const { rmm } = deps.adaptersFor(ref.clientId);
  const proofs = await mapLimit(batch.members, VENDOR_CONCURRENCY, async ({ member, deploys, snapshot }): Promise<Proof> => {
    const undone = member.patchIds.map((p) => uninstalls.get(uninstallKey(ref, member.hostname, p))).filter((j): j is DeploymentJob => j !== undefined);
    const stillRunning = deploys.filter((j) => j.state === 'submitted');
    let still: string[];
    try {
      const scan = await rmm.rescan(ref.clientId, member.hostname, member.patchIds);
      still = member.patchIds.filter((p) => scan.installed[p]);
    } catch (error) {
      if (!isAssetRefusal(error)) throw error;
      return { member, outcome: 'rollback-failed', detail: `rescan refused: ${errorDetail(error)}` };
    }
    const ran = deploys.some((j) => j.state !== 'failed') || snapshot?.restored === true || undone.length > 0;
    if (still.length === 0 && !ran) return undefined;
    if (stillRunning.length > 0) {
      return { member, outcome: 'rollback-failed', detail: `install of ${stillRunning.map((j) => j.patchId).join(', ')} still running on the agent; it may land after this rescan` };
    }
    if (still.length > 0) {
      const failedUninstall = undone.find((j) => j.state === 'failed');
      return { member, outcome: 'rollback-failed', detail: `rescan still shows ${still.join(', ')} installed${failedUninstall ? ` (uninstall: ${failedUninstall.detail ?? 'failed'})` : ''}` };
    }
    const how = snapshot?.restored ? `snapshot ${snapshot.snapshotId} restored` : 'uninstalled';
    return { member, outcome: 'rolled-back', detail: `${how}; rescan confirms ${member.patchIds.join(', ')} removed` };
  }, { signal });
  const assets = proofs.filter((p): p is NonNullable<Proof> => p !== undefined);
  await recordOutcomesWithStateChanges(
    deps.db,
    ref.cycleId,
    ref.ring,
    assets.map((a) => ({ assetId: a.member.assetId, outcome: a.outcome, stage: 'rollback' as const, detail: a.detail })),
    // Only a move writes an event: a retried proof after a committed one records nothing twice.
    assets
      .filter((a) => a.outcome === 'rolled-back' && a.member.outcome !== 'rolled-back')
      .flatMap((a) => a.member.patchIds.map((patchId) => ({ assetId: a.member.assetId, patchId, to: 'rolled-back' as const, detail: a.detail }))),
  );
  return {
    assets: assets.map((a) => ({ hostname: a.member.hostname, outcome: a.outcome, detail: a.detail })),
    rolledBack: assets.filter((a) => a.outcome === 'rolled-back').length,
    failed: assets.filter((a) => a.outcome === 'rollback-failed').length,
  };
}
