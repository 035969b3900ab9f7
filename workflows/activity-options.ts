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
