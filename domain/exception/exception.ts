import { canonicalJson, type ApprovalSignature, type RecordedSignature, type SigningPolicy, type UnsignedFacts } from '../approval-signature';
import { personId } from '../identity';
import { formatDuration } from '../../config/duration';
import type { PatchPolicy } from '../../config/policy-schema';

// Pure rules of the exception lifecycle, shared by the workflow (defence) and the CLI (first check).

export const EXCEPTION_KINDS = ['deferral', 'isolated-lane'] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

export const CONTROL_CATEGORIES = ['segmentation', 'restricted-access', 'extra-monitoring', 'other'] as const;
export type ControlCategory = (typeof CONTROL_CATEGORIES)[number];

export interface CompensatingControl {
  category: ControlCategory;
  description: string;
}

export type ExceptionState =
  | 'requested'
  | 'signed-off'
  | 'active'
  | 'renewal-pending'
  | 'review-due'
  | 'expired'
  | 'revoked'
  | 'rejected';

/** States in which the assets stay out of patch cycles. */
export const EXCLUDING_STATES: readonly ExceptionState[] = ['active', 'renewal-pending'];

/** States an exception ends in: nothing changes after them. */
const ENDED_EXCEPTION_STATES: readonly ExceptionState[] = ['expired', 'revoked', 'rejected'];

export function isExceptionEnded(state: ExceptionState): boolean {
  return ENDED_EXCEPTION_STATES.includes(state);
}

/** The end that matters for the kind: the hard expiry of a deferral, the review date of a lane. */
export function exceptionEnd(s: { kind: string; expiresAt?: string | null; reviewAt?: string | null }): string | undefined {
  return (s.kind === 'deferral' ? s.expiresAt : s.reviewAt) ?? undefined;
}

export interface ExceptionRequest {
  exceptionId: string;
  clientId: string;
  kind: ExceptionKind;
  hostnames: string[];
  /** Empty: every patch on these assets. */
  patchIds: string[];
  reason: string;
  requestedBy: string;
  /** An existing PSA ticket to link instead of opening one. */
  ticketId?: string;
  /** Deferrals: the hard expiry (ISO time). */
  expiresAt?: string;
  /** Isolated lane: when the lane must be reviewed again (ISO time). */
  reviewAt?: string;
  controls: CompensatingControl[];
  /** Isolated lane: the client's written approval (document or ticket reference). */
  clientApprovalRef?: string;
  /** The requester's signature of the request (`exceptionRequestFacts`); required where policy requires signing. */
  signature?: ApprovalSignature;
}

/**
 * What the requester signs to ask for an exception: every field of the request. No run exists yet,
 * so `runId` is empty; REJECT_DUPLICATE keeps the workflow id from being started twice.
 */
export function exceptionRequestFacts(workflowId: string, request: ExceptionRequest): UnsignedFacts {
  const { signature: _signature, requestedBy, ...asked } = request;
  return { workflowId, runId: '', decisionId: 'request', decision: 'request-exception', by: requestedBy, reason: canonicalJson(JSON.parse(JSON.stringify(asked))) };
}

/** The policy an exception is judged by, as the workflow receives it from an activity. */
export interface ExceptionRules {
  owner: string;
  approvers: string[];
  maxDurationMs: number;
  reminderBeforeMs: number;
  decisionTimeoutMs: number;
  reviewIntervalMs: number;
  /** Public keys of owners and approvers; when `required`, unsigned decisions are refused. */
  signing?: SigningPolicy;
}

/** The rules of the policy for exceptions of a client whose owner is `owner`. */
export function exceptionRulesFor(policy: PatchPolicy, owner: string): ExceptionRules {
  const rules = policy.exceptions;
  return {
    owner,
    approvers: rules.approvers,
    maxDurationMs: rules.maxDuration,
    reminderBeforeMs: rules.reminderBefore,
    decisionTimeoutMs: rules.decisionTimeout,
    reviewIntervalMs: rules.reviewInterval,
    signing: { required: policy.signing.requireSignedApprovals, publicKeys: policy.signing.publicKeys },
  };
}

export interface ExceptionProblem {
  field: string;
  message: string;
}

function checkUntil(field: string, value: string | undefined, now: number, maxMs: number, what: string): ExceptionProblem[] {
  if (!value) return [{ field, message: `is required: ${what}` }];
  const at = Date.parse(value);
  if (Number.isNaN(at)) return [{ field, message: `must be an ISO date/time like 2026-12-31 or 2026-12-31T18:00:00Z, got "${value}"` }];
  if (at <= now) return [{ field, message: `must be in the future, got ${new Date(at).toISOString()}` }];
  if (at - now > maxMs) {
    return [{ field, message: `must be at most ${formatDuration(maxMs)} from now (policy), i.e. before ${new Date(now + maxMs).toISOString()}, got ${new Date(at).toISOString()}` }];
  }
  return [];
}

/** Every problem with a request, each naming its field; empty when it may proceed. */
export function exceptionRequestProblems(request: ExceptionRequest, rules: ExceptionRules, now: number): ExceptionProblem[] {
  const problems: ExceptionProblem[] = [];
  if (request.hostnames.length === 0) problems.push({ field: 'hostnames', message: 'must name at least one asset' });
  if (!request.reason.trim()) problems.push({ field: 'reason', message: 'must say why the patch is deferred' });
  for (const [i, control] of request.controls.entries()) {
    if (!control.description.trim()) problems.push({ field: `controls[${i}].description`, message: 'must describe the control' });
  }
  if (request.kind === 'deferral') {
    problems.push(...checkUntil('expiresAt', request.expiresAt, now, rules.maxDurationMs, 'every deferral has a hard expiry'));
  } else {
    problems.push(...checkUntil('reviewAt', request.reviewAt, now, rules.reviewIntervalMs, 'an isolated lane has a review date'));
    if (request.controls.length === 0) {
      problems.push({ field: 'controls', message: 'an isolated lane needs at least one compensating control (segmentation, restricted-access, extra-monitoring or other)' });
    }
    if (!request.clientApprovalRef?.trim()) problems.push({ field: 'clientApprovalRef', message: "is required: the client's written approval reference" });
  }
  return problems;
}

/**
 * Who may approve: the named approvers, never the requester nor, for a renewal, the person who asked
 * for the renewal (four eyes). Names compare in their normalised spelling.
 */
export function exceptionApprovers(rules: Pick<ExceptionRules, 'approvers'>, ...requesters: (string | undefined)[]): string[] {
  const excluded = new Set(requesters.filter((r): r is string => r !== undefined).map(personId));
  return [...new Set(rules.approvers.map(personId))].filter((a) => !excluded.has(a));
}

export interface ExceptionEvent {
  event: 'requested' | 'ticket' | 'signed-off' | 'approved' | 'activated' | 'reminded' | 'renewal-requested' | 'renewed' | 'review-due' | 'expired' | 'revoked' | 'rejected';
  by: string;
  at: string;
  detail?: string;
  /** The decider's Ed25519 signature and the exact message signed (canonical JSON), checkable offline. */
  signature?: RecordedSignature;
}

/** Wire name of the query that returns an `ExceptionStatus` (workflows/exception/messages.ts). */
export const EXCEPTION_STATUS_QUERY = 'exceptionStatus';

/** What `exception show` and the exceptionStatus query return. */
export interface ExceptionStatus {
  exceptionId: string;
  clientId: string;
  kind: ExceptionKind;
  status: ExceptionState;
  hostnames: string[];
  patchIds: string[];
  reason: string;
  requestedBy: string;
  requestedAt: string;
  ticketId?: string;
  signedOffBy?: string;
  signedOffAt?: string;
  approvedBy?: string;
  approvedAt?: string;
  expiresAt?: string;
  reviewAt?: string;
  controls: CompensatingControl[];
  clientApprovalRef?: string;
  statusReason?: string;
  /** `decisionId` is what a signer signs; it is issued when the step became pending (`since`) and taken once. */
  pending?: { step: 'signoff' | 'approval'; who: string[]; decideBy: string; decisionId: string; since: string };
  /** The first-execution run id, which every signature on this exception binds. */
  runId?: string;
  /** The id to sign for a renewal or revocation right now. */
  control?: { decisionId: string; since: string };
  events: ExceptionEvent[];
}
