import { ApplicationFailure } from '@temporalio/common';

/**
 * The CLI contract's exit codes. Scripts branch on them, so a code never changes meaning; they live
 * here, beside the failures they stand for, so that the CLI, the web page and the adapters read one table.
 */
export const ExitCode = { ok: 0, failed: 1, badInput: 2, notFound: 3, notAllowed: 4 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

interface FailureEntry {
  /** What the CLI exits with when this failure reaches it. */
  exitCode: ExitCode;
  /** Business failures are final; the few retryable entries name vendor trouble that may pass. */
  retryable: boolean;
  meaning: string;
}

/**
 * The one catalog of ApplicationFailure types raised by patchctl (workflows, activities, adapters,
 * use cases). Anything else that throws is infrastructure: it is retried by Temporal and, if it
 * reaches the CLI, exits 1.
 */
export const FAILURE_CATALOG = {
  NotAllowed: {
    exitCode: ExitCode.notAllowed,
    retryable: false,
    meaning: 'the person may not give this decision: not named in policy, the four-eyes rule, or a bad signature',
  },
  NotPending: {
    exitCode: ExitCode.notAllowed,
    retryable: false,
    meaning: 'the decision is not awaited right now: nothing pending, or it is pending for another ring',
  },
  NotFound: { exitCode: ExitCode.notFound, retryable: false, meaning: 'a referenced client, asset, patch, ticket or snapshot does not exist' },
  InvalidInput: { exitCode: ExitCode.badInput, retryable: false, meaning: 'the request itself is malformed or outside what policy allows' },
  VendorRejected: {
    exitCode: ExitCode.failed,
    retryable: false,
    meaning: 'a vendor (RMM, PSA, hypervisor, mail relay) refused a request for good: credentials, unknown device, bad request',
  },
  VendorUnavailable: {
    exitCode: ExitCode.failed,
    retryable: true,
    meaning: 'a vendor is rate limiting, failing or unreachable; retried with backoff',
  },
  RingFailed: { exitCode: ExitCode.failed, retryable: false, meaning: 'a ring could not finish its rollout' },
} as const satisfies Record<string, FailureEntry>;

export type FailureTypeName = keyof typeof FAILURE_CATALOG;

/** `FailureType.NotAllowed === 'NotAllowed'`: the names, for `ApplicationFailure.type` comparisons. */
export const FailureType = Object.fromEntries(Object.keys(FAILURE_CATALOG).map((name) => [name, name])) as {
  readonly [K in FailureTypeName]: K;
};

/** Refusals of a decision: the workflow said no, nothing happened. */
export const REFUSAL_TYPES: readonly FailureTypeName[] = [FailureType.NotAllowed, FailureType.NotPending];

export function isCatalogued(type: string | undefined | null): type is FailureTypeName {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(FAILURE_CATALOG, type);
}

/** The exit code a failure type stands for; unknown types are infrastructure trouble (1). */
export function exitCodeFor(type: string | undefined | null): ExitCode {
  return isCatalogued(type) ? FAILURE_CATALOG[type].exitCode : ExitCode.failed;
}

export interface FailureOptions {
  cause?: Error;
  details?: unknown[];
  /** Only for retryable entries: how long Temporal should wait before the next attempt. */
  nextRetryDelayMs?: number;
}

/**
 * The ApplicationFailure for a catalogued type, retryable exactly as the catalog says. Use it from
 * workflows, validators, activities and adapters alike (it is deterministic and sandbox-safe).
 */
export function failure(type: FailureTypeName, message: string, options: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: !FAILURE_CATALOG[type].retryable,
    cause: options.cause,
    details: options.details,
    nextRetryDelay: options.nextRetryDelayMs,
  });
}

/** Throws `failure(type, message)`; for validators and guards that read better as one line. */
export function refuse(type: FailureTypeName, message: string): never {
  throw failure(type, message);
}
