import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failure-catalog';
import { VendorHttpError } from '../adapters/http-json';

/**
 * A vendor's final "no" about one asset (no such agent, a KB the host does not list): that asset
 * fails and counts against the gate, the rest of the batch goes on. Rate limits, 5xx and timeouts are
 * not: they are thrown so Temporal retries the activity. Refused credentials are not about one asset
 * either: they fail the whole activity, so the configuration gets fixed instead of a ring of failures.
 */
export function isAssetRefusal(error: unknown): error is ApplicationFailure {
  if (!(error instanceof ApplicationFailure) || !error.nonRetryable) return false;
  if (error instanceof VendorHttpError && (error.status === 401 || error.status === 403)) return false;
  return error.type === FailureType.VendorRejected || error.type === FailureType.NotFound;
}

export function errorDetail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
