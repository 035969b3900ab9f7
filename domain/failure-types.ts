/**
 * The one catalog of business failure types (ApplicationFailure `type`). Workflows and activities
 * raise them non-retryable; the CLI maps them to exit codes. Infrastructure errors are not here:
 * they throw plainly and Temporal retries them.
 */
export const FailureType = {
  /** The person may not give this decision (not named in policy, or four eyes). CLI exit 4. */
  NotAllowed: 'NotAllowed',
  /** The decision is not awaited right now (wrong ring, nothing pending). CLI exit 4. */
  NotPending: 'NotPending',
  /** A referenced client, asset or patch does not exist. CLI exit 3. */
  NotFound: 'NotFound',
  /** The request itself is malformed. CLI exit 2. */
  InvalidInput: 'InvalidInput',
  /** A vendor refused a request for good (bad credentials, unknown device). */
  VendorRejected: 'VendorRejected',
  /** A ring child could not finish its rollout. */
  RingFailed: 'RingFailed',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

export const REFUSAL_TYPES: readonly string[] = [FailureType.NotAllowed, FailureType.NotPending];
