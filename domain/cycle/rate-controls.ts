import type { RateLimit, RingPolicyBase } from '../../config/policy-schema';

// Rate controls of one ring (AWS SSM's MaxConcurrency / MaxErrors): how many assets may be in
// flight at once, and how many failures stop new submissions. Pure: the ring child evaluates it.

/** A limit written as a count of assets or as a share of the ring ("10%"), resolved against the ring's size. */
export function resolveLimit(limit: RateLimit, ringSize: number): number {
  if (typeof limit === 'number') return limit;
  const share = Number(limit.slice(0, -1)) / 100;
  return Math.floor(share * ringSize);
}

export interface RingRateControls {
  /** Assets in flight at most (whole batches: at least one batch always runs). */
  maxConcurrency: number;
  /** Failures the ring tolerates; one more trips the breaker. */
  maxErrors: number;
  /** Batches started at once: maxConcurrency in whole batches, at least one. */
  batchesInFlight: number;
}

/**
 * Without a setting, a ring deploys 10 % of its assets at once, and the breaker trips as soon as the
 * failures are more than the gate's threshold allows: past that point the gate breaches whatever
 * the remaining assets do, so deploying them only spreads a bad patch.
 */
export const DEFAULT_MAX_CONCURRENCY: RateLimit = '10%';

export function ringRateControls(ring: Pick<RingPolicyBase, 'maxConcurrency' | 'maxErrors' | 'failureThreshold'>, ringSize: number, batchSize: number): RingRateControls {
  const maxConcurrency = Math.max(1, resolveLimit(ring.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, ringSize));
  const maxErrors = ring.maxErrors === undefined ? Math.floor(ring.failureThreshold * ringSize) : resolveLimit(ring.maxErrors, ringSize);
  return { maxConcurrency, maxErrors, batchesInFlight: Math.max(1, Math.floor(maxConcurrency / Math.max(1, batchSize))) };
}

export type BreakerState = 'closed' | 'tripped' | 'overridden';

/** True once the failures are past what the ring tolerates. */
export function breakerTrips(failed: number, maxErrors: number): boolean {
  return failed > maxErrors;
}
