import { heartbeat } from '@temporalio/activity';
import type { RingName } from '../../config/policy-schema';
import type { RollbackBatchResult, VerifyRollbackResult } from '../../domain/cycle/batch';
import type { ActivityDeps } from '../deps';
import { mapLimit } from '../map-limit';
import {
  loadDeploymentJobs,
  loadRingBatch,
  loadSnapshots,
  markSnapshotRestored,
  recordDeploymentJob,
  recordOutcomes,
  recordStateChanges,
  type BatchMember,
  type DeploymentJob,
} from '../store/ring-batch-store';
import { jobKey, VENDOR_CONCURRENCY } from './ring-batches';

export interface RollbackRef {
  cycleId: string;
  clientId: string;
  ring: RingName;
  batchIndex: number;
  /** Highest attempt the ring reached: deploy keys of every attempt are looked at. */
  attempts: number;
}

interface TouchedMember {
  member: BatchMember;
  installed: { patchId: string; job: DeploymentJob }[];
}

/** Assets of the batch on which at least one install ran, with the jobs that ran. */
async function touchedMembers(deps: ActivityDeps, ref: RollbackRef): Promise<TouchedMember[]> {
  const members = await loadRingBatch(deps.db, ref.cycleId, ref.ring, ref.batchIndex);
  const keys = members.flatMap((m) =>
    m.patchIds.flatMap((p) => Array.from({ length: ref.attempts }, (_, i) => jobKey({ ...ref, attempt: i + 1 }, m.hostname, p, 'deploy'))),
  );
  const ledger = await loadDeploymentJobs(deps.db, keys);
  return members
    .map((member) => ({
      member,
      installed: member.patchIds.flatMap((patchId) =>
        Array.from({ length: ref.attempts }, (_, i) => ledger.get(jobKey({ ...ref, attempt: i + 1 }, member.hostname, patchId, 'deploy')))
          .filter((job): job is DeploymentJob => job?.state === 'succeeded')
          .slice(0, 1)
          .map((job) => ({ patchId, job })),
      ),
    }))
    .filter((t) => t.installed.length > 0);
}

/**
 * Undoes one batch: restores the verified snapshot of critical systems, uninstalls elsewhere.
 * A failure on one asset is recorded and the others still run.
 */
export async function rollbackBatch(deps: ActivityDeps, ref: RollbackRef): Promise<RollbackBatchResult> {
  const touched = await touchedMembers(deps, ref);
  const snapshots = await loadSnapshots(deps.db, ref.cycleId, ref.ring, touched.map((t) => t.member.hostname));
  const { rmm, snapshot } = deps.adaptersFor(ref.clientId);
  const failures: { hostname: string; detail: string }[] = [];
  let restored = 0;
  let uninstallsSubmitted = 0;
  await mapLimit(touched, VENDOR_CONCURRENCY, async ({ member, installed }) => {
    const saved = snapshots.get(member.hostname);
    try {
      if (member.snapshotRequired && saved?.verified) {
        const result = await snapshot.restore(ref.clientId, saved.snapshotId);
        if (!result.ok) throw new Error(`snapshot restore failed: ${result.detail}`);
        await markSnapshotRestored(deps.db, ref.cycleId, ref.ring, member.hostname);
        restored++;
        return;
      }
      for (const { patchId } of installed) {
        const key = jobKey({ ...ref, attempt: 1 }, member.hostname, patchId, 'uninstall');
        if ((await loadDeploymentJobs(deps.db, [key])).has(key)) continue;
        const { jobId } = await rmm.submitUninstall({ key, clientId: ref.clientId, cycleId: ref.cycleId, ring: ref.ring, hostname: member.hostname, patchId });
        await recordDeploymentJob(deps.db, { key, kind: 'uninstall', cycleId: ref.cycleId, ring: ref.ring, hostname: member.hostname, patchId, vendorJobId: jobId });
        uninstallsSubmitted++;
      }
    } catch (error) {
      failures.push({ hostname: member.hostname, detail: error instanceof Error ? error.message : String(error) });
    }
    heartbeat();
  });
  await recordOutcomes(
    deps.db,
    ref.cycleId,
    failures.map((f) => ({ assetId: touched.find((t) => t.member.hostname === f.hostname)?.member.assetId ?? '0', outcome: 'rollback-failed' as const, stage: 'rollback' as const, detail: f.detail })),
  );
  return { touched: touched.length, restored, uninstallsSubmitted, failures: failures.sort((a, b) => a.hostname.localeCompare(b.hostname)) };
}

/** A rollback is only done when a rescan shows the patches gone (or the snapshot was restored). */
export async function verifyRollbackBatch(deps: ActivityDeps, ref: RollbackRef): Promise<VerifyRollbackResult> {
  const touched = await touchedMembers(deps, ref);
  const snapshots = await loadSnapshots(deps.db, ref.cycleId, ref.ring, touched.map((t) => t.member.hostname));
  const restored = new Set([...snapshots.values()].filter((s) => s.restored).map((s) => s.hostname));
  const uninstallKeys = touched.flatMap((t) => t.installed.map((i) => jobKey({ ...ref, attempt: 1 }, t.member.hostname, i.patchId, 'uninstall')));
  const uninstalls = await loadDeploymentJobs(deps.db, uninstallKeys);
  const { rmm } = deps.adaptersFor(ref.clientId);
  const assets = await mapLimit(touched, VENDOR_CONCURRENCY, async ({ member, installed }) => {
    if (member.outcome === 'rollback-failed') return { member, outcome: 'rollback-failed' as const, detail: member.outcomeDetail ?? 'rollback failed' };
    if (restored.has(member.hostname)) return { member, outcome: 'rolled-back' as const, detail: `snapshot ${snapshots.get(member.hostname)?.snapshotId ?? ''} restored` };
    const failedJob = installed
      .map((i) => uninstalls.get(jobKey({ ...ref, attempt: 1 }, member.hostname, i.patchId, 'uninstall')))
      .find((j) => !j || j.state !== 'succeeded');
    if (failedJob !== undefined || installed.some((i) => !uninstalls.has(jobKey({ ...ref, attempt: 1 }, member.hostname, i.patchId, 'uninstall')))) {
      return { member, outcome: 'rollback-failed' as const, detail: `uninstall did not succeed: ${failedJob?.detail ?? 'not submitted'}` };
    }
    const scan = await rmm.rescan(ref.clientId, member.hostname, installed.map((i) => i.patchId));
    const still = installed.filter((i) => scan.installed[i.patchId]).map((i) => i.patchId);
    return still.length > 0
      ? { member, outcome: 'rollback-failed' as const, detail: `rescan still shows ${still.join(', ')}` }
      : { member, outcome: 'rolled-back' as const, detail: 'rescan confirms patches removed' };
  });
  await recordOutcomes(deps.db, ref.cycleId, assets.map((a) => ({ assetId: a.member.assetId, outcome: a.outcome, stage: 'rollback' as const, detail: a.detail })));
  await recordStateChanges(
    deps.db,
    ref.cycleId,
    ref.ring,
    assets
      .filter((a) => a.outcome === 'rolled-back')
      .flatMap((a) => a.member.patchIds.map((patchId) => ({ assetId: a.member.assetId, patchId, to: 'rolled-back' as const, detail: a.detail }))),
  );
  return {
    assets: assets.map((a) => ({ hostname: a.member.hostname, outcome: a.outcome, detail: a.detail })),
    rolledBack: assets.filter((a) => a.outcome === 'rolled-back').length,
    failed: assets.filter((a) => a.outcome === 'rollback-failed').length,
  };
}
