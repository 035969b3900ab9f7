import { approvalMessage, signatureProblem, type ApprovalSignature } from '../../domain/approval-signature';
import {
  exceptionApprovers,
  exceptionEnd,
  exceptionRequestProblems,
  isExceptionEnded,
  type ExceptionEvent,
  type ExceptionRequest,
  type ExceptionRules,
  type ExceptionStatus,
} from '../../domain/exception/exception';
import { FailureType, refuse } from '../../domain/failure-catalog';
import type { ExceptionAccepted, ExceptionDecisionInput, RenewExceptionInput, RevokeExceptionInput } from './messages';

export type PatchExceptionInput = ExceptionRequest;

/**
 * The state of one exception and everything that changes it from outside: the status query and
 * the sign-off, approval, renewal and revocation updates with their validators. patchException
 * drives the lifecycle over it; handlers record what was asked and the lifecycle acts on it.
 */
export class ExceptionCase {
  readonly status: ExceptionStatus;
  /** The policy's rules, loaded by the first step; validators refuse until then. */
  rules: ExceptionRules | undefined;
  signedOff = false;
  approved = false;
  renewal: RenewExceptionInput | undefined;
  revocation: RevokeExceptionInput | undefined;

  constructor(
    readonly input: PatchExceptionInput,
    readonly workflowId: string,
  ) {
    this.status = {
      exceptionId: input.exceptionId,
      clientId: input.clientId,
      kind: input.kind,
      status: 'requested',
      hostnames: input.hostnames,
      patchIds: input.patchIds,
      reason: input.reason,
      requestedBy: input.requestedBy,
      requestedAt: new Date().toISOString(),
      ticketId: input.ticketId,
      expiresAt: input.kind === 'deferral' ? input.expiresAt : undefined,
      reviewAt: input.kind === 'isolated-lane' ? input.reviewAt : undefined,
      controls: input.controls,
      clientApprovalRef: input.clientApprovalRef,
      events: [],
    };
  }

  /** Adds an entry to the exception's audit trail. `record*` means a write to the register; `log` only the workflow logger. */
  audit(event: ExceptionEvent['event'], by: string, detail?: string, signature?: ExceptionEvent['signature']): void {
    this.status.events.push({ event, by, at: new Date().toISOString(), detail, ...(signature ? { signature } : {}) });
  }

  /** The end in force: the expiry of a deferral, the review date of a lane. */
  end(): string {
    return exceptionEnd(this.status) as string;
  }

  approvers(): string[] {
    return this.rules ? exceptionApprovers(this.rules, this.input.requestedBy) : [];
  }

  /** Everyone who decides on it: told of reminders, reviews and the end. */
  everyone(): string[] {
    return [...new Set([this.rules?.owner ?? '', ...this.approvers()].filter(Boolean))];
  }

  /** Who may ask to renew or revoke: the requester, the client owner or an approver. */
  private mayChange(person: string): boolean {
    return [this.input.requestedBy, this.rules?.owner, ...this.approvers()].includes(person);
  }

  private checkSignature(person: string, decision: string, signature: ApprovalSignature | undefined): void {
    const problem = signatureProblem(this.rules?.signing, { workflowId: this.workflowId, subject: this.input.exceptionId, decision, by: person }, signature);
    if (problem) refuse(FailureType.NotAllowed, problem);
  }

  private signed(person: string, decision: string, signature: ApprovalSignature | undefined): ExceptionEvent['signature'] {
    if (!signature) return undefined;
    return { ...signature, message: approvalMessage({ workflowId: this.workflowId, subject: this.input.exceptionId, decision, by: person, signedAt: signature.signedAt }) };
  }

  // ---- updates ----

  validateSignOff(d: ExceptionDecisionInput): void {
    if (this.status.pending?.step !== 'signoff') refuse(FailureType.NotPending, `no sign-off is pending for ${this.input.exceptionId} (status: ${this.status.status})`);
    if (d.by !== this.rules?.owner) refuse(FailureType.NotAllowed, `only the client owner ${this.rules?.owner ?? ''} may sign off exceptions for ${this.input.clientId}, not ${d.by}`);
    this.checkSignature(d.by, 'signoff', d.signature);
  }

  signOff(d: ExceptionDecisionInput): ExceptionAccepted {
    this.signedOff = true;
    this.status.signedOffBy = d.by;
    this.status.signedOffAt = new Date().toISOString();
    this.audit('signed-off', d.by, d.comment, this.signed(d.by, 'signoff', d.signature));
    return { accepted: true, status: this.status.status };
  }

  validateApproval(d: ExceptionDecisionInput): void {
    if (this.status.pending?.step !== 'approval') refuse(FailureType.NotPending, `no approval is pending for ${this.input.exceptionId} (status: ${this.status.status})`);
    if (d.by === this.input.requestedBy) refuse(FailureType.NotAllowed, `${d.by} requested this exception and cannot also approve it (four-eyes rule)`);
    if (!this.approvers().includes(d.by)) refuse(FailureType.NotAllowed, `${d.by} is not named in policy as an exception approver; named: ${this.approvers().join(', ') || 'nobody'}`);
    this.checkSignature(d.by, 'approve', d.signature);
  }

  approve(d: ExceptionDecisionInput): ExceptionAccepted {
    this.approved = true;
    this.status.approvedBy = d.by;
    this.status.approvedAt = new Date().toISOString();
    this.audit('approved', d.by, d.comment, this.signed(d.by, 'approve', d.signature));
    return { accepted: true, status: this.status.status };
  }

  validateRenewal(r: RenewExceptionInput): void {
    if (this.status.status !== 'active' && this.status.status !== 'review-due') refuse(FailureType.NotPending, `only an active exception can be renewed (status: ${this.status.status})`);
    if (this.renewal) refuse(FailureType.NotPending, 'a renewal is already waiting for sign-off and approval');
    if (!this.mayChange(r.by)) refuse(FailureType.NotAllowed, `${r.by} may not renew this exception; the requester, the client owner or an approver may`);
    if (!this.rules) refuse(FailureType.NotPending, 'the exception is not set up yet');
    const renewed = { ...this.input, expiresAt: r.until, reviewAt: r.until, reason: r.reason };
    const problems = exceptionRequestProblems(renewed, this.rules, Date.now()).filter((p) => p.field === 'expiresAt' || p.field === 'reviewAt' || p.field === 'reason');
    // The renewal's own fields: `until` stands for the new expiry or review date.
    if (problems.length > 0) refuse(FailureType.InvalidInput, problems.map((p) => `${p.field === 'reason' ? 'reason' : 'until'}: ${p.message}`).join('; '));
  }

  renew(r: RenewExceptionInput): ExceptionAccepted {
    this.renewal = r;
    this.audit('renewal-requested', r.by, `until ${r.until}: ${r.reason}`);
    return { accepted: true, status: 'renewal-pending' };
  }

  validateRevocation(r: RevokeExceptionInput): void {
    if (isExceptionEnded(this.status.status)) refuse(FailureType.NotPending, `the exception already ended (${this.status.status})`);
    if (!r.reason.trim()) refuse(FailureType.InvalidInput, 'a revocation needs a reason');
    if (!this.mayChange(r.by)) refuse(FailureType.NotAllowed, `${r.by} may not revoke this exception; the requester, the client owner or an approver may`);
  }

  revoke(r: RevokeExceptionInput): ExceptionAccepted {
    this.revocation = r;
    return { accepted: true, status: 'revoked' };
  }
}
