import type { RingName } from '../../config/policy-schema';
import type {
  AssetResult,
  BatchRef,
  OutcomeStage,
  DeployBatchResult,
  JobPollResult,
  SnapshotBatchResult,
  VerifyBatchInput,
  VerifyBatchResult,
} from '../../domain/cycle/batch';
import { deploymentKey } from '../../domain/ids';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from '../heartbeat-ticker';
import { mapLimit } from '../map-limit';
import { applyServiceChecks } from '../checks/verify-checks';
import {
  finishJobWithStateChange,
  loadDeploymentJobs,
  loadRingBatch,
  loadSnapshots,
  recordDeploymentJob,
  recordOutcomes,
  recordOutcomesWithStateChanges,
  recordSnapshot,
  reopenFailedMembers,
  type BatchMember,
  type JobKind,
} from '../store/ring-batch-store';
import { errorDetail, isAssetRefusal } from './asset-errors';

/** Vendor calls in flight per batch activity: RMMs rate-limit, and a batch must not stampede them. */
export const VENDOR_CONCURRENCY = 10;

export function jobKey(ref: { cycleId: string; ring: RingName; attempt: number }, hostname: string, patchId: string, kind: JobKind): string {
  const base = deploymentKey(ref.cycleId, ref.ring, hostname, patchId);
  const attempt = ref.attempt > 1 ? `#${ref.attempt}` : '';
  return kind === 'deploy' ? `${base}${attempt}` : `${base}|uninstall`;
}

/** Members this attempt works on: everything on the first attempt, earlier failures on a retry. */
async function attemptMembers(deps: ActivityDeps, ref: BatchRef): Promise<BatchMember[]> {
  const members = await loadRingBatch(deps.db, ref.cycleId, ref.ring, ref.batchIndex);
  return members.filter((m) => m.attempt === ref.attempt);
}

/** A retry takes the failed members of earlier attempts back to pending, once. */
async function reopenFailed(deps: ActivityDeps, ref: BatchRef): Promise<void> {
  if (ref.attempt <= 1) return;
  await reopenFailedMembers(deps.db, ref);
}

/** Playbook: a tested snapshot before patching critical systems. No verified snapshot, no patch. */
export function snapshotBatch(deps: ActivityDeps, ref: BatchRef): Promise<SnapshotBatchResult> {
  return whileHeartbeating((signal) => takeSnapshots(deps, ref, signal));
}

async function takeSnapshots(deps: ActivityDeps, ref: BatchRef, signal: AbortSignal | undefined): Promise<SnapshotBatchResult> {
  await reopenFailed(deps, ref);
  const members = (await attemptMembers(deps, ref)).filter((m) => m.snapshotRequired && m.outcome === 'pending');
  const existing = await loadSnapshots(deps.db, ref.cycleId, ref.ring, members.map((m) => m.hostname));
  const { snapshot } = deps.adaptersFor(ref.clientId);
  const failed: { member: BatchMember; detail: string }[] = [];
  let verified = 0;
  await mapLimit(members, VENDOR_CONCURRENCY, async (member) => {
    if (existing.get(member.hostname)?.verified) {
      verified++;
      return;
    }
    const key = `${ref.cycleId}|${ref.ring}|${member.hostname}|snapshot`;
    let snapshotId: string;
    try {
      ({ snapshotId } = await snapshot.take({ key, clientId: ref.clientId, hostname: member.hostname, label: `patchctl ${ref.cycleId} ${ref.ring}` }));
    } catch (error) {
      if (!isAssetRefusal(error)) throw error;
      failed.push({ member, detail: `no snapshot: ${errorDetail(error)}` });
      return;
    }
    const check = await snapshot.verify(ref.clientId, snapshotId);
    await recordSnapshot(deps.db, { key, cycleId: ref.cycleId, ring: ref.ring, hostname: member.hostname, snapshotId, verified: check.ok, detail: check.detail });
    if (check.ok) verified++;
    else failed.push({ member, detail: `snapshot not verified: ${check.detail}` });
  }, { signal });
  await recordOutcomes(
    deps.db,
    ref.cycleId,
    failed.map(({ member, detail }) => ({ assetId: member.assetId, outcome: 'failed' as const, stage: 'snapshot' as const, detail })),
  );
  return { required: members.length, verified, failedHosts: failed.map((f) => f.member.hostname).sort() };
}

/**
 * Submits one job per (asset, patch); the ledger makes a retried activity submit nothing twice. A
 * vendor's final refusal about one asset (no agent, an unknown KB) fails that asset for the gate.
 */
export function deployBatch(deps: ActivityDeps, ref: BatchRef): Promise<DeployBatchResult> {
  return whileHeartbeating((signal) => submitDeployments(deps, ref, signal));
}

async function submitDeployments(deps: ActivityDeps, ref: BatchRef, signal: AbortSignal | undefined): Promise<DeployBatchResult> {
  const members = (await attemptMembers(deps, ref)).filter((m) => m.outcome === 'pending');
  const keyOf = (m: BatchMember, patchId: string) => jobKey(ref, m.hostname, patchId, 'deploy');
  const ledger = await loadDeploymentJobs(deps.db, members.flatMap((m) => m.patchIds.map((p) => keyOf(m, p))));
  const { rmm } = deps.adaptersFor(ref.clientId);
  let submitted = 0;
  let pairs = 0;
  let heldForWindow = 0;
  const closesAt = ref.submitBefore ? Date.parse(ref.submitBefore) : Number.POSITIVE_INFINITY;
  const refused: { member: BatchMember; detail: string }[] = [];
  await mapLimit(members, VENDOR_CONCURRENCY, async (member) => {
    for (const patchId of member.patchIds) {
      pairs++;
      const key = keyOf(member, patchId);
      if (ledger.has(key)) continue;
      // An attempt still running after its schedule-to-close (the window's end) must not submit.
      if (Date.now() >= closesAt) {
        heldForWindow++;
        continue;
      }
      try {
        const { jobId } = await rmm.submitDeployment({ key, clientId: ref.clientId, cycleId: ref.cycleId, ring: ref.ring, hostname: member.hostname, patchId, plannedPatchIds: member.patchIds });
        await recordDeploymentJob(deps.db, { key, kind: 'deploy', cycleId: ref.cycleId, ring: ref.ring, hostname: member.hostname, patchId, vendorJobId: jobId });
        submitted++;
      } catch (error) {
        if (!isAssetRefusal(error)) throw error;
        // Its other patches are not submitted: the asset has failed, and rollback undoes what ran.
        refused.push({ member, detail: `${patchId}: ${errorDetail(error)}` });
        return;
      }
    }
  }, { signal });
  await recordOutcomes(deps.db, ref.cycleId, refused.map(({ member, detail }) => ({ assetId: member.assetId, outcome: 'failed' as const, stage: 'deploy' as const, detail })));
  return { assets: members.length, submitted, alreadySubmitted: pairs - submitted - heldForWindow - refused.length, heldForWindow };
}

/**
 * Asks the RMM about every unfinished job of the batch. A job's end and its asset's state event are
 * written in one transaction, so neither exists without the other whatever crashes in between.
 */
export function pollBatchJobs(deps: ActivityDeps, ref: BatchRef & { kind: JobKind }): Promise<JobPollResult> {
  return whileHeartbeating((signal) => pollJobs(deps, ref, signal));
}

async function pollJobs(deps: ActivityDeps, ref: BatchRef & { kind: JobKind }, signal: AbortSignal | undefined): Promise<JobPollResult> {
  const all = await loadRingBatch(deps.db, ref.cycleId, ref.ring, ref.batchIndex);
  const members = ref.kind === 'deploy' ? all.filter((m) => m.attempt === ref.attempt && m.outcome === 'pending') : all;
  const pairs = members.flatMap((m) => m.patchIds.map((patchId) => ({ member: m, patchId, key: jobKey(ref, m.hostname, patchId, ref.kind) })));
  const ledger = await loadDeploymentJobs(deps.db, pairs.map((p) => p.key));
  const { rmm } = deps.adaptersFor(ref.clientId);
  const result: JobPollResult = { pending: 0, succeeded: 0, failed: 0 };
  await mapLimit(pairs, VENDOR_CONCURRENCY, async ({ member, patchId, key }) => {
    const job = ledger.get(key);
    if (!job) return;
    if (job.state === 'succeeded' || job.state === 'failed') {
      result[job.state]++;
      return;
    }
    const status = await rmm.jobStatus(ref.clientId, job.vendorJobId);
    if (status.state === 'succeeded' || status.state === 'failed') {
      const change = { assetId: member.assetId, patchId, to: status.state === 'succeeded' ? ('deployed' as const) : ('failed' as const), detail: status.detail };
      await finishJobWithStateChange(deps.db, { key, state: status.state, detail: status.detail }, ref.kind === 'deploy' ? { cycleId: ref.cycleId, ring: ref.ring, change } : undefined);
      result[status.state]++;
    } else result.pending++;
  }, { signal });
  return result;
}

/**
 * Verification is not deployment: a fresh scan must show every patch installed and the client's
 * workload checks must pass. Returns each asset's outcome for the evidence chain.
 */
export function verifyBatch(deps: ActivityDeps, input: VerifyBatchInput): Promise<VerifyBatchResult> {
  return whileHeartbeating((signal) => verifyMembers(deps, input, signal));
}

async function verifyMembers(deps: ActivityDeps, input: VerifyBatchInput, signal: AbortSignal | undefined): Promise<VerifyBatchResult> {
  const members = await attemptMembers(deps, input);
  const ledger = await loadDeploymentJobs(
    deps.db,
    members.flatMap((m) => m.patchIds.map((p) => jobKey(input, m.hostname, p, 'deploy'))),
  );
  const { rmm } = deps.adaptersFor(input.clientId);
  const results: (AssetResult & { assetId: string; patchIds: string[]; fresh: boolean })[] = await mapLimit(members, VENDOR_CONCURRENCY, async (m) => {
    const base = { hostname: m.hostname, assetId: m.assetId, patchIds: m.patchIds, fresh: m.outcome === 'pending' };
    if (m.outcome !== 'pending') {
      // Decided before verification (a snapshot that failed), or by an earlier run of this activity.
      const stage = (m.outcomeStage === null || m.outcomeStage === 'rollback' ? 'snapshot' : m.outcomeStage) satisfies OutcomeStage;
      return { ...base, outcome: m.outcome === 'verified' ? ('verified' as const) : ('failed' as const), stage, detail: m.outcomeDetail ?? '' };
    }
    const jobs = m.patchIds.map((p) => ledger.get(jobKey(input, m.hostname, p, 'deploy')));
    const failedJob = jobs.find((j) => !j || j.state !== 'succeeded');
    if (failedJob !== undefined || jobs.some((j) => !j)) {
      return { ...base, outcome: 'failed' as const, stage: 'deploy' as const, detail: failedJob?.detail ?? 'no deployment job recorded' };
    }
    try {
      const scan = await rmm.rescan(input.clientId, m.hostname, m.patchIds);
      const notInstalled = m.patchIds.filter((p) => !scan.installed[p]);
      if (notInstalled.length > 0) {
        return { ...base, outcome: 'failed' as const, stage: 'verify' as const, detail: `rescan shows not installed: ${notInstalled.join(', ')}` };
      }
      for (const check of input.workloadChecks) {
        const outcome = await rmm.runWorkloadCheck(input.clientId, m.hostname, check);
        if (!outcome.ok) return { ...base, outcome: 'failed' as const, stage: 'workload-check' as const, detail: `${check}: ${outcome.detail}` };
      }
    } catch (error) {
      if (!isAssetRefusal(error)) throw error;
      return { ...base, outcome: 'failed' as const, stage: 'verify' as const, detail: errorDetail(error) };
    }
    return { ...base, outcome: 'verified' as const, stage: 'verify' as const, detail: `rescan confirmed; checks passed: ${input.workloadChecks.join(', ') || 'none configured'}` };
  }, { signal });

  const checks = await applyServiceChecks(deps, input, results);
  const fresh = results.filter((r) => r.fresh);
  await recordOutcomesWithStateChanges(
    deps.db,
    input.cycleId,
    input.ring,
    fresh.map((r) => ({ assetId: r.assetId, outcome: r.outcome, stage: r.stage, detail: r.detail })),
    fresh
      .filter((r) => r.stage === 'verify' || r.stage === 'workload-check')
      .flatMap((r) => r.patchIds.map((patchId) => ({ assetId: r.assetId, patchId, to: r.outcome, detail: r.detail }))),
  );
  const assets = results.map(({ hostname, outcome, stage, detail }) => ({ hostname, outcome, stage, detail }));
  // Deployed = the RMM ran every install; verification failures were still deployed.
  const deployed = results.filter((r) => r.stage === 'verify' || r.stage === 'workload-check').length;
  return {
    assets,
    deployed,
    verified: results.filter((r) => r.outcome === 'verified').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    ...(checks.length > 0 ? { checks } : {}),
  };
}
