import { allHandlersFinished, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import { exceptionRequestProblems, type ExceptionState } from '../../domain/exception/exception';
import { exceptionApprovalRequest, exceptionEnded, exceptionReminder, exceptionReviewDue, exceptionSignOffRequest } from '../../domain/notices';
import { quickActivity } from '../activity-options';
import { ExceptionCase, type PatchExceptionInput } from './exception-case';
import {
  approveExceptionUpdate,
  exceptionStatusQuery,
  renewExceptionUpdate,
  revokeExceptionUpdate,
  signOffExceptionUpdate,
  type RenewExceptionInput,
} from './messages';

export type { PatchExceptionInput } from './exception-case';

const activities = proxyActivities<PatchctlActivities>(quickActivity);

export interface PatchExceptionResult {
  exceptionId: string;
  status: ExceptionState;
  reason: string;
}

/**
 * One exception (deferral or isolated lane) from request to its end: ticket → client-owner sign-off →
 * MSP approval → active (assets out of cycles) → reminder → expired | renewed | revoked. Nothing is
 * open-ended: every wait has a deadline, and an exception without expiry is never accepted.
 */
export async function patchException(input: PatchExceptionInput): Promise<PatchExceptionResult> {
  const info = workflowInfo();
  const ex = new ExceptionCase(input, info.workflowId, info.firstExecutionRunId);
  setHandler(exceptionStatusQuery, () => ex.status);
  setHandler(signOffExceptionUpdate, (d) => ex.signOff(d), { validator: (d) => ex.validateSignOff(d) });
  setHandler(approveExceptionUpdate, (d) => ex.approve(d), { validator: (d) => ex.validateApproval(d) });
  setHandler(renewExceptionUpdate, (r) => ex.renew(r), { validator: (r) => ex.validateRenewal(r) });
  setHandler(revokeExceptionUpdate, (r) => ex.revoke(r), { validator: (r) => ex.validateRevocation(r) });

  const rules = await activities.loadExceptionRules({ clientId: input.clientId });
  ex.rules = rules;
  // The exception checks its own input first: an unknown or unsigned requester asks for nothing.
  await ex.refreshAuthority();
  ex.validateStart(info.startTime);
  const problems = exceptionRequestProblems(input, rules, Date.now());
  if (problems.length > 0) return finish(ex, 'rejected', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  ex.audit('requested', ex.requestedBy, input.reason, ex.requestSignature());
  await openTicket(ex);
  await recordStatus(ex, 'requested');

  const refused = await obtainApprovals(ex, rules.decisionTimeoutMs, 'grant');
  if (ex.revocation) return finishRevoked(ex);
  if (refused) return finish(ex, 'rejected', refused);
  ex.audit('activated', 'patchctl');
  await recordStatus(ex, 'active');
  await noteOnTicket(ex, `Exception active until ${ex.end()} (signed off by ${ex.status.signedOffBy}, approved by ${ex.status.approvedBy}).`);

  let remindedFor: string | undefined;
  for (;;) {
    const interrupted = () => ex.revocation !== undefined || ex.renewal !== undefined;
    const untilReminder = Date.parse(ex.end()) - rules.reminderBeforeMs - Date.now();
    // Activated (or renewed) inside the reminder window: remind at once rather than not at all.
    const remindNow = untilReminder > 0 ? !(await condition(interrupted, untilReminder)) : remindedFor !== ex.end() && Date.parse(ex.end()) > Date.now();
    if (remindNow && !interrupted()) {
      remindedFor = ex.end();
      ex.audit('reminded', 'patchctl');
      await activities.sendNotice(exceptionReminder(input, ex.everyone(), ex.end()));
    }
    const untilEnd = Date.parse(ex.end()) - Date.now();
    if (untilEnd > 0) await condition(interrupted, untilEnd);
    if (ex.revocation) return finishRevoked(ex);

    if (!ex.renewal) {
      if (ex.status.kind === 'deferral') return finish(ex, 'expired', `hard expiry ${ex.end()} reached; the patches are back in scope of the next cycle`);
      // An isolated lane is not patchable: at its review date it needs a fresh decision, and until
      // then its assets are back in scope so nobody forgets them.
      ex.audit('review-due', 'patchctl');
      await recordStatus(ex, 'review-due', `review date ${ex.end()} reached`);
      await activities.sendNotice(exceptionReviewDue(input, ex.everyone(), ex.end()));
      if (!(await condition(interrupted, rules.decisionTimeoutMs))) return finish(ex, 'expired', `review date ${ex.end()} passed without a renewal`);
      if (ex.revocation) return finishRevoked(ex);
    }

    const request = ex.renewal as RenewExceptionInput;
    const wasActive = ex.status.status === 'active';
    await recordStatus(ex, wasActive ? 'renewal-pending' : 'review-due', `renewal to ${request.until} requested by ${request.by}`);
    // While a renewal is decided the current expiry still holds; it cannot outlive it.
    const renewalRefused = await obtainApprovals(ex, rules.decisionTimeoutMs, 'renew', wasActive ? Date.parse(ex.end()) : undefined, request.until);
    ex.renewal = undefined;
    if (ex.revocation) return finishRevoked(ex);
    if (renewalRefused) {
      ex.status.pending = undefined;
      if (Date.parse(ex.end()) <= Date.now()) return finish(ex, 'expired', `${renewalRefused}; the renewal lapsed and ${ex.end()} has passed`);
      ex.audit('rejected', 'patchctl', `renewal: ${renewalRefused}`);
      await recordStatus(ex, 'active', `renewal refused: ${renewalRefused}`);
      continue;
    }
    if (ex.status.kind === 'deferral') ex.status.expiresAt = request.until;
    else ex.status.reviewAt = request.until;
    ex.audit('renewed', request.by, `until ${request.until}`);
    await recordStatus(ex, 'active', `renewed until ${request.until}`);
    await noteOnTicket(ex, `Exception renewed until ${request.until} (signed off by ${ex.status.signedOffBy}, approved by ${ex.status.approvedBy}).`);
  }
}

/** A PSA ticket for the request, unless the requester linked an existing one. */
async function openTicket(ex: ExceptionCase): Promise<void> {
  const { input } = ex;
  if (!ex.status.ticketId) {
    const { ticketId } = await activities.openTicket({
      key: `exception|${ex.workflowId}`,
      clientId: input.clientId,
      summary: `patchctl exception ${input.exceptionId}: ${input.kind} for ${input.hostnames.length} asset(s)`.slice(0, 100),
      details: `${input.reason}\nAssets: ${input.hostnames.join(', ')}\nPatches: ${input.patchIds.join(', ') || 'all'}\nControls: ${input.controls.map((c) => `${c.category}: ${c.description}`).join('; ') || 'none'}`,
      priority: 'medium',
    });
    ex.status.ticketId = ticketId;
  }
  ex.audit('ticket', 'patchctl', ex.status.ticketId);
}

/**
 * Sign-off by the client owner, then approval by the MSP, each within `within` ms and both before
 * `notAfter` (epoch ms) when given: a renewal of a running exception must be decided before it ends.
 * Returns why it was not granted, or undefined (also when it was revoked meanwhile).
 */
async function obtainApprovals(ex: ExceptionCase, within: number, label: string, notAfter = Number.POSITIVE_INFINITY, occurrence?: string): Promise<string | undefined> {
  const { input } = ex;
  ex.signedOff = false;
  ex.approved = false;
  // Recomputed per step, so a late sign-off does not give the approval step a full window past notAfter.
  const stepWindow = () => Math.max(1, Math.min(within, notAfter - Date.now()));
  const decideBy = (ms: number) => new Date(Date.now() + ms).toISOString();
  const signOffWindow = stepWindow();
  // Owner, approvers and keys as the policy names them now, not when the exception was requested.
  await ex.refreshAuthority();
  const owner = ex.rules?.owner ?? '';
  ex.openStep('signoff', [owner], decideBy(signOffWindow));
  await activities.sendNotice(exceptionSignOffRequest(input, label, owner, occurrence));
  if (!(await condition(() => ex.signedOff || ex.revocation !== undefined, signOffWindow))) return `no sign-off by the client owner within the decision time`;
  if (ex.revocation) return undefined;
  // A renewal keeps showing renewal-pending / review-due: the exception it renews still holds.
  if (ex.status.status === 'requested') ex.status.status = 'signed-off';
  await ex.refreshAuthority();
  const approvers = ex.approvers();
  const approvalWindow = stepWindow();
  ex.openStep('approval', approvers, decideBy(approvalWindow));
  await activities.sendNotice(exceptionApprovalRequest(input, label, approvers, ex.status.signedOffBy, occurrence));
  if (!(await condition(() => ex.approved || ex.revocation !== undefined, approvalWindow))) return `no MSP approval within the decision time`;
  ex.status.pending = undefined;
  return undefined;
}

/** Writes the status to the register, which cycles read when they plan. */
async function recordStatus(ex: ExceptionCase, status: ExceptionState, reason?: string): Promise<void> {
  const { input, status: s } = ex;
  s.status = status;
  s.statusReason = reason;
  await activities.recordException({
    id: input.exceptionId,
    clientId: input.clientId,
    kind: input.kind,
    hostnames: input.hostnames,
    patchIds: input.patchIds,
    status,
    reason: input.reason,
    ticketId: s.ticketId ?? null,
    requestedBy: input.requestedBy,
    requestedAt: s.requestedAt,
    signedOffBy: s.signedOffBy ?? null,
    signedOffAt: s.signedOffAt ?? null,
    approvedBy: s.approvedBy ?? null,
    approvedAt: s.approvedAt ?? null,
    expiresAt: s.expiresAt ?? null,
    reviewAt: s.reviewAt ?? null,
    controls: input.controls,
    clientApprovalRef: input.clientApprovalRef ?? null,
    statusReason: reason ?? null,
  });
}

function noteOnTicket(ex: ExceptionCase, text: string): Promise<void> {
  return ex.status.ticketId ? activities.addTicketNote({ clientId: ex.input.clientId, ticketId: ex.status.ticketId, text }) : Promise.resolve();
}

function finishRevoked(ex: ExceptionCase): Promise<PatchExceptionResult> {
  return finish(ex, 'revoked', `revoked by ${ex.revocation?.by}: ${ex.revocation?.reason}`);
}

/** Every end: the register, the audit trail, a ticket note, mail to everyone who decides on it. */
async function finish(ex: ExceptionCase, status: 'expired' | 'revoked' | 'rejected', reason: string): Promise<PatchExceptionResult> {
  ex.status.pending = undefined;
  await recordStatus(ex, status, reason);
  ex.audit(status, status === 'revoked' ? (ex.revocation?.by ?? '') : 'patchctl', reason, status === 'revoked' ? ex.revocationSignature : undefined);
  await noteOnTicket(ex, `Exception ${ex.input.exceptionId} ${status}: ${reason}`);
  await activities.sendNotice(exceptionEnded(ex.input, ex.everyone(), status, reason));
  await condition(allHandlersFinished);
  return { exceptionId: ex.input.exceptionId, status, reason };
}
