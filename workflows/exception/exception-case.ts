import { proxyActivities } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import { recordedSignature, signatureProblem, textTooLong, type ApprovalSignature, type UnsignedFacts } from '../../domain/approval-signature';
import { requesterProblem, type DecisionAuthority } from '../../domain/decision-authority';
import {
  exceptionApprovers,
  exceptionEnd,
  exceptionRequestFacts,
  exceptionRequestProblems,
  isExceptionEnded,
  type ExceptionEvent,
  type ExceptionRequest,
  type ExceptionRules,
  type ExceptionStatus,
} from '../../domain/exception/exception';
import { FailureType, failure, refuse } from '../../domain/failure-catalog';
import { personId } from '../../domain/identity';
import { quickActivity } from '../activity-options';
import type { ExceptionAccepted, ExceptionDecisionInput, RenewExceptionInput, RevokeExceptionInput } from './messages';

const activities = proxyActivities<PatchctlActivities>(quickActivity);

export type PatchExceptionInput = ExceptionRequest;

type Pending = NonNullable<ExceptionStatus['pending']>;
type Control = NonNullable<ExceptionStatus['control']>;

/**
 * The state of one exception and everything that changes it from outside: the status query and
 * the sign-off, approval, renewal and revocation updates with their validators. patchException
 * drives the lifecycle over it; handlers record what was asked and the lifecycle acts on it.
 */
export class ExceptionCase {
  readonly status: ExceptionStatus;
  /** The policy's rules, loaded by the first step; owner, approvers and keys re-read at each decision. */
  rules: ExceptionRules | undefined;
  /** Who decides and with which keys, as last read from the current policy. */
  authority: DecisionAuthority | undefined;
  signedOff = false;
  approved = false;
  renewal: RenewExceptionInput | undefined;
  revocation: RevokeExceptionInput | undefined;
  readonly requestedBy: string;
  private issued = 0;
  /** Decision ids being decided or decided: each is taken once. */
  private readonly taken = new Set<string>();

  constructor(
    readonly input: PatchExceptionInput,
    readonly workflowId: string,
    /** The first-execution run id: a reused workflow id gets another, so old signatures fail. */
    readonly runId: string,
  ) {
    this.requestedBy = personId(input.requestedBy);
    this.status = {
      exceptionId: input.exceptionId,
      clientId: input.clientId,
      kind: input.kind,
      status: 'requested',
      hostnames: input.hostnames,
      patchIds: input.patchIds,
      reason: input.reason,
      requestedBy: this.requestedBy,
      requestedAt: new Date().toISOString(),
      ticketId: input.ticketId,
      expiresAt: input.kind === 'deferral' ? input.expiresAt : undefined,
      reviewAt: input.kind === 'isolated-lane' ? input.reviewAt : undefined,
      controls: input.controls,
      clientApprovalRef: input.clientApprovalRef,
      runId,
      control: { decisionId: 'control:0', since: new Date().toISOString() },
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

  /** Approvers of the step in progress: never the requester, nor the person who asked for the renewal. */
  approvers(): string[] {
    return this.rules ? exceptionApprovers(this.rules, this.requestedBy, this.renewal?.by) : [];
  }

  /** Everyone who decides on it: told of reminders, reviews and the end. */
  everyone(): string[] {
    const approvers = this.rules ? exceptionApprovers(this.rules, this.requestedBy) : [];
    return [...new Set([this.rules?.owner ?? '', ...approvers].filter(Boolean))];
  }

  /** Re-reads owner, approvers and keys from the current policy (an activity, so it is in history). */
  async refreshAuthority(): Promise<void> {
    const authority = await activities.currentDeciders({ clientId: this.input.clientId });
    this.authority = authority;
    if (this.rules) this.rules = { ...this.rules, owner: personId(authority.owner), approvers: authority.exceptionApprovers.map(personId), signing: authority.signing };
  }

  /** The workflow checks its own input first: a known requester, and their signature where required. */
  validateStart(startedAt: Date): void {
    const authority = this.authority as DecisionAuthority;
    const facts = exceptionRequestFacts(this.workflowId, this.input);
    const problem = requesterProblem(authority, this.input.requestedBy) ?? signatureProblem(authority.signing, facts, this.input.signature, { since: startedAt.toISOString(), now: Date.now() });
    if (problem) throw failure(FailureType.NotAllowed, `exception ${this.input.exceptionId} refused at request: ${problem}`);
  }

  /** The audit signature of the request, for the 'requested' event. */
  requestSignature(): ExceptionEvent['signature'] {
    return recordedSignature(exceptionRequestFacts(this.workflowId, this.input), this.input.signature);
  }

  /** Opens a step with a fresh decision id. */
  openStep(step: Pending['step'], who: string[], decideBy: string): void {
    this.status.pending = { step, who, decideBy, decisionId: `${step}:${++this.issued}`, since: new Date().toISOString() };
  }

  /** Who may ask to renew or revoke: the requester, the client owner or an approver. */
  private mayChange(person: string): boolean {
    const id = personId(person);
    const approvers = this.rules ? exceptionApprovers(this.rules, this.requestedBy) : [];
    return [this.requestedBy, this.rules?.owner, ...approvers].includes(id);
  }

  private facts(decisionId: string, decision: string, by: string, reason: string | undefined, until?: string): UnsignedFacts {
    return { workflowId: this.workflowId, runId: this.runId, decisionId, decision, by, reason: reason ?? '', until };
  }

  private checkSignature(facts: UnsignedFacts, since: string, signature: ApprovalSignature | undefined): void {
    const problem = signatureProblem(this.rules?.signing, facts, signature, { since, now: Date.now() });
    if (problem) refuse(FailureType.NotAllowed, problem);
  }

  private checkText(field: string, text: string | undefined): void {
    const problem = textTooLong(field, text);
    if (problem) refuse(FailureType.InvalidInput, problem);
  }

  private expectStep(step: Pending['step']): Pending {
    const pending = this.status.pending;
    if (pending?.step !== step) refuse(FailureType.NotPending, `no ${step === 'signoff' ? 'sign-off' : 'approval'} is pending for ${this.input.exceptionId} (status: ${this.status.status})`);
    if (this.taken.has(pending.decisionId)) refuse(FailureType.NotPending, `decision ${pending.decisionId} is already being decided`);
    return pending;
  }

  // ---- updates ----

  private checkSignOff(d: ExceptionDecisionInput, pending: Pending): void {
    const owner = this.rules?.owner ?? '';
    if (personId(d.by) !== owner) refuse(FailureType.NotAllowed, `only the client owner ${owner} may sign off exceptions for ${this.input.clientId}, not ${personId(d.by)}`);
    this.checkSignature(this.facts(pending.decisionId, 'signoff', d.by, d.comment), pending.since, d.signature);
  }

  validateSignOff(d: ExceptionDecisionInput): void {
    this.checkText('comment', d.comment);
    this.checkSignOff(d, this.expectStep('signoff'));
  }

  async signOff(d: ExceptionDecisionInput): Promise<ExceptionAccepted> {
    const pending = await this.confirm(this.status.pending as Pending, () => this.checkSignOff(d, this.status.pending as Pending));
    const by = personId(d.by);
    this.signedOff = true;
    this.status.signedOffBy = by;
    this.status.signedOffAt = new Date().toISOString();
    this.audit('signed-off', by, d.comment, recordedSignature(this.facts(pending.decisionId, 'signoff', d.by, d.comment), d.signature));
    return { accepted: true, status: this.status.status };
  }

  private checkApproval(d: ExceptionDecisionInput, pending: Pending): void {
    const by = personId(d.by);
    if (by === this.requestedBy) refuse(FailureType.NotAllowed, `${by} requested this exception and cannot also approve it (four-eyes rule)`);
    if (this.renewal && by === personId(this.renewal.by)) refuse(FailureType.NotAllowed, `${by} asked for this renewal and cannot also approve it (four-eyes rule)`);
    if (!this.approvers().includes(by)) refuse(FailureType.NotAllowed, `${by} is not named in policy as an exception approver; named: ${this.approvers().join(', ') || 'nobody'}`);
    this.checkSignature(this.facts(pending.decisionId, 'approve', d.by, d.comment), pending.since, d.signature);
  }

  validateApproval(d: ExceptionDecisionInput): void {
    this.checkText('comment', d.comment);
    this.checkApproval(d, this.expectStep('approval'));
  }

  async approve(d: ExceptionDecisionInput): Promise<ExceptionAccepted> {
    const pending = await this.confirm(this.status.pending as Pending, () => this.checkApproval(d, this.status.pending as Pending));
    const by = personId(d.by);
    this.approved = true;
    this.status.approvedBy = by;
    this.status.approvedAt = new Date().toISOString();
    this.audit('approved', by, d.comment, recordedSignature(this.facts(pending.decisionId, 'approve', d.by, d.comment), d.signature));
    return { accepted: true, status: this.status.status };
  }

  /**
   * The second check, in the handler: takes the decision id, re-reads the policy and runs `check`
   * again, so a removal or a revoked key since the step opened counts.
   */
  private async confirm(expected: Pending, check: () => void): Promise<Pending> {
    this.taken.add(expected.decisionId);
    try {
      await this.refreshAuthority();
      if (this.status.pending?.decisionId !== expected.decisionId) refuse(FailureType.NotPending, `decision ${expected.decisionId} is no longer pending`);
      check();
      return expected;
    } catch (error) {
      this.taken.delete(expected.decisionId);
      throw error;
    }
  }

  private checkRenewal(r: RenewExceptionInput, control: Control): void {
    if (this.status.status !== 'active' && this.status.status !== 'review-due') refuse(FailureType.NotPending, `only an active exception can be renewed (status: ${this.status.status})`);
    if (this.renewal) refuse(FailureType.NotPending, 'a renewal is already waiting for sign-off and approval');
    if (!this.mayChange(r.by)) refuse(FailureType.NotAllowed, `${personId(r.by)} may not renew this exception; the requester, the client owner or an approver may`);
    if (!this.rules) refuse(FailureType.NotPending, 'the exception is not set up yet');
    const renewed = { ...this.input, expiresAt: r.until, reviewAt: r.until, reason: r.reason };
    const problems = exceptionRequestProblems(renewed, this.rules, Date.now()).filter((p) => p.field === 'expiresAt' || p.field === 'reviewAt' || p.field === 'reason');
    // The renewal's own fields: `until` stands for the new expiry or review date.
    if (problems.length > 0) refuse(FailureType.InvalidInput, problems.map((p) => `${p.field === 'reason' ? 'reason' : 'until'}: ${p.message}`).join('; '));
    this.checkSignature(this.facts(control.decisionId, 'renew', r.by, r.reason, r.until), control.since, r.signature);
  }

  private expectControl(): Control {
    const control = this.status.control as Control;
    if (this.taken.has(control.decisionId)) refuse(FailureType.NotPending, `another ${control.decisionId} request is being decided; try again`);
    return control;
  }

  validateRenewal(r: RenewExceptionInput): void {
    this.checkText('reason', r.reason);
    this.checkRenewal(r, this.expectControl());
  }

  /** Takes the control id, re-reads the policy, checks again and issues the next id. */
  private async confirmControl(check: (control: Control) => void): Promise<Control> {
    const control = this.status.control as Control;
    this.taken.add(control.decisionId);
    try {
      await this.refreshAuthority();
      if (this.status.control?.decisionId !== control.decisionId) refuse(FailureType.NotPending, `${control.decisionId} is no longer current`);
      check(control);
    } catch (error) {
      this.taken.delete(control.decisionId);
      throw error;
    }
    this.status.control = { decisionId: `control:${++this.issued}`, since: new Date().toISOString() };
    return control;
  }

  async renew(r: RenewExceptionInput): Promise<ExceptionAccepted> {
    const control = await this.confirmControl((c) => this.checkRenewal(r, c));
    this.renewal = { ...r, by: personId(r.by) };
    this.audit('renewal-requested', personId(r.by), `until ${r.until}: ${r.reason}`, recordedSignature(this.facts(control.decisionId, 'renew', r.by, r.reason, r.until), r.signature));
    return { accepted: true, status: 'renewal-pending' };
  }

  private checkRevocation(r: RevokeExceptionInput, control: Control): void {
    if (isExceptionEnded(this.status.status)) refuse(FailureType.NotPending, `the exception already ended (${this.status.status})`);
    if (!r.reason.trim()) refuse(FailureType.InvalidInput, 'a revocation needs a reason');
    if (!this.mayChange(r.by)) refuse(FailureType.NotAllowed, `${personId(r.by)} may not revoke this exception; the requester, the client owner or an approver may`);
    this.checkSignature(this.facts(control.decisionId, 'revoke', r.by, r.reason), control.since, r.signature);
  }

  validateRevocation(r: RevokeExceptionInput): void {
    this.checkText('reason', r.reason);
    this.checkRevocation(r, this.expectControl());
  }

  /** The revocation's audit signature, recorded when the lifecycle ends on it. */
  revocationSignature: ExceptionEvent['signature'];

  async revoke(r: RevokeExceptionInput): Promise<ExceptionAccepted> {
    const control = await this.confirmControl((c) => this.checkRevocation(r, c));
    this.revocation = { ...r, by: personId(r.by) };
    this.revocationSignature = recordedSignature(this.facts(control.decisionId, 'revoke', r.by, r.reason), r.signature);
    return { accepted: true, status: 'revoked' };
  }
}
