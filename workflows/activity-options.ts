import type { ActivityOptions } from '@temporalio/workflow';
import { FailureType } from '../domain/failure-catalog';

// Vendor calls are retried with backoff; business refusals from the catalog are not.
const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: Object.values(FailureType),
};

export const quickActivity: ActivityOptions = { startToCloseTimeout: '1m', retry };

/**
 * One batch against a vendor. Activities heartbeat on a ticker (every quarter of the heartbeat
 * timeout, at most 10 s) during every vendor call, so the heartbeat timeout only has to outlast a
 * few lost beats and still notices a dead worker within 2 minutes. The attempt's own limit must
 * outlast the longest single vendor call times the rounds of a batch: a Tactical uninstall command
 * may take 630 s and a Proxmox task 600 s, ten at a time.
 */
export const batchActivity: ActivityOptions = { startToCloseTimeout: '2h', heartbeatTimeout: '2m', retry };

/** Planning asks the RMM about every agent of the client (concurrency-limited, heartbeating). */
export const planningActivity: ActivityOptions = { startToCloseTimeout: '1h', heartbeatTimeout: '2m', retry };

/**
 * A vendor call that submits work (snapshot, deploy) may not outlive the maintenance window, nor
 * spin for longer than an outage budget: its retries stop at whichever comes first, and the ring
 * counts it as one vendor failure. `untilMs` is the absolute end (window close).
 */
export const VENDOR_OUTAGE_BUDGET_MS = 3_600_000;
export function boundedBy(options: ActivityOptions, untilMs: number, nowMs: number): ActivityOptions {
  return { ...options, scheduleToCloseTimeout: Math.max(1_000, Math.min(untilMs - nowMs, VENDOR_OUTAGE_BUDGET_MS)) };
}
