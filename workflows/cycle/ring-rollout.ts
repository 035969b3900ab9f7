import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { MaintenanceWindow, RingName, WorkloadCheck } from '../../config/policy-schema';
import type { AssetResult, BatchRef } from '../../domain/cycle/batch';
import type { RingCounts, RingRateView, RingRolloutProgress } from '../../domain/cycle/cycle-status';
import { currentOrNextWindow } from '../../domain/cycle/maintenance-window';
import { breakerTrips, type RingRateControls } from '../../domain/cycle/rate-controls';
import { batchActivity, boundedBy } from '../activity-options';
import { pauseSignal, resumeSignal, ringProgressQuery, ringReportSignal } from './messages';

const batch = proxyActivities<PatchctlActivities>(batchActivity);
/** Calls that submit work to a vendor: retried only until the window closes (or the outage budget ends). */
const submitting = (untilMs: number) => proxyActivities<PatchctlActivities>(boundedBy(batchActivity, untilMs, Date.now()));

/** Limits that keep an RMM outage from deploying outside the window or spinning unseen. */
export interface OutageLimits {
  /** A batch starts only with at least this much of its window left (or the whole window, if shorter). */
  batchLeadTimeMs: number;
  /** Outage rounds (a submitting call that exhausted its schedule-to-close) before the ring halts. */
  maxVendorFailures: number;
}

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
  /** Absent (runs started before rate controls): one batch at a time, no breaker. */
  rateControls?: RingRateControls;
  outageLimits?: OutageLimits;
  /** After this long since submission, a job still not finished counts as failed. Absent: no deadline. */
  jobDeadlineMs?: number;
  /** A person overrode a tripped breaker: the rest of the ring deploys without it. */
  breakerOverridden?: boolean;
  /** Failures counted before a person asked to go on (retry-failed on a stopped ring): the breaker's budget starts again from here. */
  errorsBefore?: number;
  /**
   * Batches started per run before continuing as new even if the server has not suggested it yet:
   * bounds history for a 100,000-asset ring (default 250 batches ≈ 4,000 events).
   */
  batchesPerRun?: number;
  /** Job polls per run before continuing as new: a job stuck `running` must not fill one history (default 300). */
  pollsPerRun?: number;
  /** Set when the rollout continues as new, or resumes after a decision: where it was and what it had counted. */
  carried?: RingRolloutCarry;
}

export interface RingRolloutCarry {
  nextBatch: number;
  counts: RingCounts;
  failedSample: AssetResult[];
  paused: boolean;
  /** Batches whose jobs were submitted and are still polled: the next run polls on. */
  polling?: { batchIndex: number; submittedAt: number; assets: number }[];
  /** Batches to start again: an outage or the window's close stopped them before all their jobs were submitted. */
  requeued?: number[];
  batchesDone?: number;
  vendorFailures?: number;
  jobsPastDeadline?: number;
}

export interface RingRolloutResult extends RingCounts {
  ring: RingName;
  attempt: number;
  /** The first failures, for the gate notice; every outcome is in the batch activity results. */
  failedSample: AssetResult[];
  rate?: RingRateView;
  /** The ring stopped submitting before its last batch: its gate decides, and an override resumes from `resume`. */
  stopped?: { kind: 'breaker' | 'vendor-outage'; reason: string; resume: RingRolloutCarry };
}

const FAILED_SAMPLE = 20;
/**
 * Reports to the cycle only when something it shows changed, and at most this often (plus one per
 * maintenance-window wait): a ring that runs for days adds a bounded number of signals to the
 * cycle's history, and a job stuck `running` adds none.
 */
const REPORT_EVERY_MS = 60_000;
/** After an outage round, the ring waits this long before it tries the vendor again. */
const VENDOR_RETRY_PAUSE_MS = 300_000;

/** An activity that failed for the vendor's sake (timed out, retries exhausted), not a business refusal. */
function isVendorOutage(error: unknown): boolean {
  if (!(error instanceof ActivityFailure) || isCancellation(error)) return false;
  return !(error.cause instanceof ApplicationFailure && error.cause.nonRetryable);
}

/**
 * Deploys one ring (or the failures of an earlier attempt) inside the client's maintenance windows:
 * per batch snapshot → deploy → wait for the jobs → verify, with up to `maxConcurrency` assets in
 * flight. Past `maxErrors` failures, or after `maxVendorFailures` outage rounds, nothing new is
 * submitted, batches in flight finish, and the ring returns `stopped` for its gate. The gate is the parent's.
 */
export async function ringRollout(input: RingRolloutInput): Promise<RingRolloutResult> {
  const carried = input.carried;
  const counts: RingCounts = carried?.counts ?? { planned: input.planned, deployed: 0, verified: 0, failed: 0 };
  const failedSample = carried?.failedSample ?? [];
  let paused = carried?.paused ?? false;
  const controls = input.rateControls ?? { maxConcurrency: Number.MAX_SAFE_INTEGER, maxErrors: Number.MAX_SAFE_INTEGER, batchesInFlight: 1 };
  const rate: RingRateView = {
    inFlight: 0,
    maxConcurrency: controls.maxConcurrency,
    maxErrors: controls.maxErrors,
    breaker: input.breakerOverridden ? 'overridden' : 'closed',
    vendorFailures: carried?.vendorFailures ?? 0,
    jobsPastDeadline: carried?.jobsPastDeadline ?? 0,
  };
  const progress: RingRolloutProgress = {
    ring: input.ring,
    attempt: input.attempt,
    phase: 'deploying',
    batchesDone: carried?.batchesDone ?? carried?.nextBatch ?? 0,
    batches: input.batches,
    ...counts,
  };

  let stop: { kind: 'breaker' | 'vendor-outage'; reason: string } | undefined;
  let draining = false;
  let fatal: { error: unknown } | undefined;
  let running = 0;
  let waitingForWindow = 0;
  let pollsThisRun = 0;
  let batchesThisRun = 0;
  let next = carried?.nextBatch ?? 0;
  const queue: number[] = [...(carried?.requeued ?? [])];
  const stillPolling: NonNullable<RingRolloutCarry['polling']> = [];
  let outageRound = 0;
  let pauseUntil = 0;
  const halted = () => stop !== undefined || draining || fatal !== undefined;

  const phase = (): RingRolloutProgress['phase'] => {
    if (stop && running > 0) return 'draining';
    if (paused) return 'paused';
    if (waitingForWindow > 0 && waitingForWindow === running) return 'waiting-for-window';
    return progress.phase === 'done' ? 'done' : 'deploying';
  };
  const view = (): RingRolloutProgress => ({ ...progress, ...counts, phase: phase(), rate: { ...rate, stoppedBecause: stop?.reason } });
  setHandler(ringProgressQuery, view);
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));

  // The cycle's status shows the live counts and window waits of its running ring.
  const cycleId = workflowInfo().parent?.workflowId;
  let reportedAt: number | undefined;
  let lastReport: string | undefined;
  const report = async (force = false) => {
    if (!cycleId) return;
    const now = view();
    const key = JSON.stringify(now);
    if (key === lastReport) return;
    if (!force && reportedAt !== undefined && Date.now() - reportedAt < REPORT_EVERY_MS) return;
    lastReport = key;
    reportedAt = Date.now();
    await getExternalWorkflowHandle(cycleId).signal(ringReportSignal, now).catch(() => undefined);
  };
  const runFull = () =>
    workflowInfo().continueAsNewSuggested || batchesThisRun >= (input.batchesPerRun ?? 250) || pollsThisRun >= (input.pollsPerRun ?? 300);

  /**
   * The close of the window a batch may start in now, waiting for it when none is open or too little
   * of it is left for a batch to finish; undefined when the ring stopped meanwhile.
   */
  async function awaitWindow(): Promise<number | undefined> {
    const leadMs = input.outageLimits?.batchLeadTimeMs ?? 0;
    for (;;) {
      let window = currentOrNextWindow(new Date(), input.maintenanceWindows, input.timezone);
      for (let skipped = 0; skipped < 32; skipped++) {
        const usable = window.closesAt.getTime() - Math.max(Date.now(), window.opensAt.getTime());
        if (usable >= Math.min(leadMs, window.closesAt.getTime() - window.opensAt.getTime())) break;
        window = currentOrNextWindow(window.closesAt, input.maintenanceWindows, input.timezone);
      }
      const wait = window.opensAt.getTime() - Date.now();
      if (wait <= 0) return window.closesAt.getTime();
      waitingForWindow++;
      progress.windowOpensAt = window.opensAt.toISOString();
      log.info('waiting for maintenance window', { ring: input.ring, opensAt: progress.windowOpensAt });
      await report(true);
      const interrupted = await condition(halted, wait);
      waitingForWindow--;
      if (waitingForWindow === 0) progress.windowOpensAt = undefined;
      if (interrupted) return undefined;
      await report(true);
    }
  }

  /** One outage round counts once, however many batches in flight it failed. */
  function vendorFailed(round: number, error: unknown): void {
    if (round !== outageRound) return;
    outageRound++;
    rate.vendorFailures++;
    pauseUntil = Date.now() + VENDOR_RETRY_PAUSE_MS;
    const detail = error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}` : String(error);
    log.warn('vendor outage round', { ring: input.ring, vendorFailures: rate.vendorFailures, detail });
    const limit = input.outageLimits?.maxVendorFailures;
    if (limit !== undefined && rate.vendorFailures >= limit) {
      stop ??= { kind: 'vendor-outage', reason: `the RMM failed ${rate.vendorFailures} times in a row (last: ${detail}); nothing more is submitted until someone decides` };
    }
  }

  async function startBatch(batchIndex: number): Promise<void> {
    const closesAt = await awaitWindow();
    if (closesAt === undefined) {
      queue.unshift(batchIndex);
      return;
    }
    const ref: BatchRef = { cycleId: input.cycleId, clientId: input.clientId, ring: input.ring, batchIndex, attempt: input.attempt, submitBefore: new Date(closesAt).toISOString() };
    const round = outageRound;
    const vendor = submitting(closesAt);
    let deployed;
    try {
      await vendor.snapshotBatch(ref);
      deployed = await vendor.deployBatch(ref);
    } catch (error) {
      if (!isVendorOutage(error)) throw error;
      // Timed out because the window closed, not because the vendor is down: the next window goes on.
      if (Date.now() < closesAt) vendorFailed(round, error);
      queue.unshift(batchIndex);
      return;
    }
    outageRound++;
    rate.vendorFailures = 0;
    if ((deployed.heldForWindow ?? 0) > 0) {
      // The window closed during the submissions: the rest of this batch goes out in the next one.
      queue.unshift(batchIndex);
      return;
    }
    await pollAndVerify(batchIndex, Date.now(), deployed.assets);
  }

  async function pollAndVerify(batchIndex: number, submittedAt: number, assets: number): Promise<void> {
    const ref: BatchRef = { cycleId: input.cycleId, clientId: input.clientId, ring: input.ring, batchIndex, attempt: input.attempt };
    rate.inFlight += assets;
    const deadline = input.jobDeadlineMs === undefined ? Number.POSITIVE_INFINITY : submittedAt + input.jobDeadlineMs;
    for (;;) {
      pollsThisRun++;
      const jobs = await batch.pollBatchJobs({ ...ref, kind: 'deploy' });
      if (jobs.pending === 0) break;
      if (Date.now() >= deadline) {
        // Verification counts every job that has not succeeded as failed: past its deadline it is.
        rate.jobsPastDeadline += jobs.pending;
        log.warn('jobs past their deadline count as failed', { ring: input.ring, batchIndex, pending: jobs.pending });
        break;
      }
      if (draining || runFull()) {
        draining = true;
        rate.inFlight -= assets;
        stillPolling.push({ batchIndex, submittedAt, assets });
        return;
      }
      await sleep(Math.min(input.jobPollIntervalMs, deadline - Date.now()));
    }
    const verified = await batch.verifyBatch({ ...ref, workloadChecks: input.workloadChecks });
    counts.deployed += verified.deployed;
    counts.verified += verified.verified;
    counts.failed += verified.failed;
    for (const asset of verified.assets) {
      if (asset.outcome === 'failed' && failedSample.length < FAILED_SAMPLE) failedSample.push(asset);
    }
    rate.inFlight -= assets;
    progress.batchesDone++;
    if (rate.breaker === 'closed' && input.rateControls && breakerTrips(counts.failed - (input.errorsBefore ?? 0), controls.maxErrors)) {
      rate.breaker = 'tripped';
      stop ??= { kind: 'breaker', reason: `breaker tripped: ${counts.failed} failures passed maxErrors ${controls.maxErrors}` };
      log.warn('breaker tripped', { ring: input.ring, failed: counts.failed, maxErrors: controls.maxErrors });
    }
    const lastBatch = progress.batchesDone >= input.batches;
    if (!lastBatch) await report(stop !== undefined);
  }

  const launch = (work: () => Promise<void>) => {
    running++;
    void work()
      .catch((error: unknown) => void (fatal ??= { error }))
      .finally(() => void running--);
  };

  for (const carry of carried?.polling ?? []) launch(() => pollAndVerify(carry.batchIndex, carry.submittedAt, carry.assets));
  const hasMore = () => queue.length > 0 || next < input.batches;
  for (;;) {
    await condition(() => halted() || (hasMore() && running < controls.batchesInFlight) || running === 0);
    if (halted() || !hasMore()) {
      if (running === 0 || halted()) break;
      continue;
    }
    if (running >= controls.batchesInFlight) continue;
    if (runFull()) {
      draining = true;
      break;
    }
    if (paused) {
      await report(true);
      await condition(() => !paused || halted());
      continue;
    }
    if (Date.now() < pauseUntil) {
      await condition(halted, pauseUntil - Date.now());
      continue;
    }
    const batchIndex = queue.length > 0 ? (queue.shift() as number) : next++;
    batchesThisRun++;
    launch(() => startBatch(batchIndex));
  }
  // In-flight batches always finish (or, continuing as new, hand their polling on).
  await condition(() => running === 0);
  if (fatal) throw fatal.error;

  const carry = (): RingRolloutCarry => ({
    nextBatch: next,
    counts,
    failedSample,
    paused,
    polling: stillPolling,
    requeued: queue,
    batchesDone: progress.batchesDone,
    vendorFailures: rate.vendorFailures,
    jobsPastDeadline: rate.jobsPastDeadline,
  });
  // A breaker that trips on the last batch stopped nothing: the gate judges the ring as usual.
  if (stop && hasMore()) {
    await report(true);
    return { ring: input.ring, attempt: input.attempt, ...counts, failedSample, rate: { ...rate, stoppedBecause: stop.reason }, stopped: { ...stop, resume: { ...carry(), vendorFailures: 0 } } };
  }
  if (draining && (hasMore() || stillPolling.length > 0)) {
    await continueAsNew<typeof ringRollout>({ ...input, carried: carry() });
  }
  progress.phase = 'done';
  return { ring: input.ring, attempt: input.attempt, ...counts, failedSample, rate };
}
