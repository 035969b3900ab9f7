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

/** One batch against a vendor: bounded by the batch size, kept alive by heartbeats. */
export const batchActivity: ActivityOptions = { startToCloseTimeout: '10m', heartbeatTimeout: '2m', retry };

/**
 * A vendor call that submits work (snapshot, deploy) may not outlive the maintenance window, nor
 * spin for longer than an outage budget: its retries stop at whichever comes first, and the ring
 * counts it as one vendor failure. `untilMs` is the absolute end (window close).
 */
export const VENDOR_OUTAGE_BUDGET_MS = 3_600_000;
export function boundedBy(options: ActivityOptions, untilMs: number, nowMs: number): ActivityOptions {
  return { ...options, scheduleToCloseTimeout: Math.max(1_000, Math.min(untilMs - nowMs, VENDOR_OUTAGE_BUDGET_MS)) };
}
