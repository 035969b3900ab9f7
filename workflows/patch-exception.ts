import { allHandlersFinished, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../activities/create-activities';
import { approvalMessage, signatureProblem, type ApprovalSignature } from '../domain/approval-signature';
import { FailureType, refuse } from '../domain/failure-catalog';
import {
  exceptionApprovers,
  exceptionRequestProblems,
  type ExceptionEvent,
  type ExceptionRequest,
  type ExceptionRules,
  type ExceptionState,
  type ExceptionStatus,
} from '../domain/exception';
import { exceptionNotice } from '../domain/notices';
import { quickActivity } from './activity-options';
import {
  approveExceptionUpdate,
  exceptionStatusQuery,
  renewExceptionUpdate,
  revokeExceptionUpdate,
  signOffExceptionUpdate,
  type RenewExceptionInput,
  type RevokeExceptionInput,
} from './messages';

const activities = proxyActivities<PatchctlActivities>(quickActivity);

export type PatchExceptionInput = ExceptionRequest;

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
  const now = () => new Date().toISOString();
  const state: ExceptionStatus = {
    exceptionId: input.exceptionId,
    clientId: input.clientId,
    kind: input.kind,
    status: 'requested',
    hostnames: input.hostnames,
    patchIds: input.patchIds,
    reason: input.reason,
    requestedBy: input.requestedBy,
    requestedAt: now(),
    ticketId: input.ticketId,
    expiresAt: input.kind === 'deferral' ? input.expiresAt : undefined,
    reviewAt: input.kind === 'isolated-lane' ? input.reviewAt : undefined,
    controls: input.controls,
    clientApprovalRef: input.clientApprovalRef,
    events: [],
  };
  // Assigned once, after the handlers that read it are registered (they must exist before the first await).
  // eslint-disable-next-line prefer-const
  let rules: ExceptionRules | undefined;
  let signedOff = false;
  let approved = false;
  let renewal: RenewExceptionInput | undefined;
  let revocation: RevokeExceptionInput | undefined;

  const log = (event: ExceptionEvent['event'], by: string, detail?: string, signature?: ExceptionEvent['signature']) =>
    state.events.push({ event, by, at: now(), detail, ...(signature ? { signature } : {}) });
  const workflowId = workflowInfo().workflowId;
  /** Where policy requires it (or a signature is given), the decision must carry a valid Ed25519 signature. */
  const checkSignature = (person: string, decision: string, signature: ApprovalSignature | undefined) => {
    const problem = signatureProblem(rules?.signing, { workflowId, subject: input.exceptionId, decision, by: person }, signature);
    if (problem) refuse(FailureType.NotAllowed, problem);
  };
  const signedRecord = (person: string, decision: string, signature: ApprovalSignature | undefined) =>
    signature ? { ...signature, message: approvalMessage({ workflowId, subject: input.exceptionId, decision, by: person, signedAt: signature.signedAt }) } : undefined;
  const approversNow = () => (rules ? exceptionApprovers(rules, input.requestedBy) : []);
  const end = () => (state.kind === 'deferral' ? state.expiresAt : state.reviewAt) as string;

  setHandler(exceptionStatusQuery, () => state);
  setHandler(
    signOffExceptionUpdate,
    (d) => {
      signedOff = true;
      state.signedOffBy = d.by;
      state.signedOffAt = now();
      log('signed-off', d.by, d.comment, signedRecord(d.by, 'signoff', d.signature));
      return { accepted: true, status: state.status };
    },
    {
      validator: (d) => {
        if (state.pending?.step !== 'signoff') refuse(FailureType.NotPending, `no sign-off is pending for ${input.exceptionId} (status: ${state.status})`);
        if (d.by !== rules?.owner) refuse(FailureType.NotAllowed, `only the client owner ${rules?.owner ?? ''} may sign off exceptions for ${input.clientId}, not ${d.by}`);
        checkSignature(d.by, 'signoff', d.signature);
      },
    },
  );
  setHandler(
    approveExceptionUpdate,
    (d) => {
      approved = true;
      state.approvedBy = d.by;
      state.approvedAt = now();
      log('approved', d.by, d.comment, signedRecord(d.by, 'approve', d.signature));
      return { accepted: true, status: state.status };
    },
    {
      validator: (d) => {
        if (state.pending?.step !== 'approval') refuse(FailureType.NotPending, `no approval is pending for ${input.exceptionId} (status: ${state.status})`);
        if (d.by === input.requestedBy) refuse(FailureType.NotAllowed, `${d.by} requested this exception and cannot also approve it (four-eyes rule)`);
        if (!approversNow().includes(d.by)) refuse(FailureType.NotAllowed, `${d.by} is not named in policy as an exception approver; named: ${approversNow().join(', ') || 'nobody'}`);
        checkSignature(d.by, 'approve', d.signature);
      },
    },
  );
  setHandler(
    renewExceptionUpdate,
    (r) => {
      renewal = r;
      log('renewal-requested', r.by, `until ${r.until}: ${r.reason}`);
      return { accepted: true, status: 'renewal-pending' };
    },
    {
      validator: (r) => {
        if (state.status !== 'active' && state.status !== 'review-due') refuse(FailureType.NotPending, `only an active exception can be renewed (status: ${state.status})`);
        if (renewal) refuse(FailureType.NotPending, 'a renewal is already waiting for sign-off and approval');
        const allowed = [input.requestedBy, rules?.owner, ...approversNow()];
        if (!allowed.includes(r.by)) refuse(FailureType.NotAllowed, `${r.by} may not renew this exception; the requester, the client owner or an approver may`);
        if (!rules) refuse(FailureType.NotPending, 'the exception is not set up yet');
        const problems = exceptionRequestProblems(
          { ...input, expiresAt: r.until, reviewAt: r.until, reason: r.reason },
          rules,
          Date.now(),
        ).filter((p) => p.field === 'expiresAt' || p.field === 'reviewAt' || p.field === 'reason');
        if (problems.length > 0) refuse(FailureType.InvalidInput, problems.map((p) => `--until: ${p.message}`).join('; '));
      },
    },
  );
  setHandler(
    revokeExceptionUpdate,
    (r) => {
      revocation = r;
      return { accepted: true, status: 'revoked' };
    },
    {
      validator: (r) => {
        if (['expired', 'revoked', 'rejected'].includes(state.status)) refuse(FailureType.NotPending, `the exception already ended (${state.status})`);
        if (!r.reason.trim()) refuse(FailureType.InvalidInput, 'a revocation needs a reason');
        const allowed = [input.requestedBy, rules?.owner, ...approversNow()];
        if (!allowed.includes(r.by)) refuse(FailureType.NotAllowed, `${r.by} may not revoke this exception; the requester, the client owner or an approver may`);
      },
    },
  );

  const record = async (status: ExceptionState, reason?: string) => {
    state.status = status;
    state.statusReason = reason;
    await activities.recordException({
      id: input.exceptionId,
      clientId: input.clientId,
      kind: input.kind,
      hostnames: input.hostnames,
      patchIds: input.patchIds,
      status,
      reason: input.reason,
      ticketId: state.ticketId ?? null,
      requestedBy: input.requestedBy,
      requestedAt: state.requestedAt,
      signedOffBy: state.signedOffBy ?? null,
      signedOffAt: state.signedOffAt ?? null,
      approvedBy: state.approvedBy ?? null,
      approvedAt: state.approvedAt ?? null,
      expiresAt: state.expiresAt ?? null,
      reviewAt: state.reviewAt ?? null,
      controls: input.controls,
      clientApprovalRef: input.clientApprovalRef ?? null,
      statusReason: reason ?? null,
    });
  };
  const everyone = () => [...new Set([rules?.owner ?? '', ...approversNow()].filter(Boolean))];
  const notify = (what: string, to: string[], subject: string, text: string) =>
    activities.sendNotice(exceptionNotice(input.exceptionId, what, to, subject, text));
  const note = (text: string) => (state.ticketId ? activities.addTicketNote({ clientId: input.clientId, ticketId: state.ticketId, text }) : Promise.resolve());
  const finish = async (status: ExceptionState, reason: string): Promise<PatchExceptionResult> => {
    state.pending = undefined;
    await record(status, reason);
    log(status === 'expired' ? 'expired' : status === 'revoked' ? 'revoked' : 'rejected', status === 'revoked' ? (revocation?.by ?? '') : 'patchctl', reason);
    await note(`Exception ${input.exceptionId} ${status}: ${reason}`);
    await notify(status, everyone(), `Exception ${input.exceptionId} ${status}`, `${input.exceptionId} (${input.hostnames.join(', ')}) is ${status}: ${reason}.\n`);
    await condition(allHandlersFinished);
    return { exceptionId: input.exceptionId, status, reason };
  };

  // Handlers change these between awaits; read them through functions so TypeScript does not narrow them.
  const revoked = (): RevokeExceptionInput | undefined => revocation;
  const finishRevoked = () => finish('revoked', `revoked by ${revoked()?.by}: ${revoked()?.reason}`);

  /**
   * Sign-off by the client owner, then approval by the MSP, each within `within` ms and both before
   * `notAfter` (epoch ms) when given: a renewal of a running exception must be decided before it ends.
   */
  const obtainApprovals = async (within: number, label: string, notAfter = Number.POSITIVE_INFINITY): Promise<string | undefined> => {
    const r = rules as ExceptionRules;
    signedOff = false;
    approved = false;
    // Recomputed per step, so a late sign-off does not give the approval step a full window past notAfter.
    const stepWindow = () => Math.max(1, Math.min(within, notAfter - Date.now()));
    const decideBy = (ms: number) => new Date(Date.now() + ms).toISOString();
    const signOffWindow = stepWindow();
    state.pending = { step: 'signoff', who: [r.owner], decideBy: decideBy(signOffWindow) };
    await notify(`${label}.signoff`, [r.owner], `Sign off exception ${input.exceptionId}`, `${input.requestedBy} asks to ${label} an exception for ${input.hostnames.join(', ')}: ${input.reason}.\n\npatchctl exception signoff ${input.clientId}/${input.exceptionId} --as ${r.owner}\n`);
    if (!(await condition(() => signedOff || revocation !== undefined, signOffWindow))) return `no sign-off by the client owner within the decision time`;
    if (revoked()) return undefined;
    // A renewal keeps showing renewal-pending / review-due: the exception it renews still holds.
    if (state.status === 'requested') state.status = 'signed-off';
    const approvers = approversNow();
    const approvalWindow = stepWindow();
    state.pending = { step: 'approval', who: approvers, decideBy: decideBy(approvalWindow) };
    await notify(`${label}.approval`, approvers, `Approve exception ${input.exceptionId}`, `Signed off by ${state.signedOffBy}. Approve:\n\npatchctl exception approve ${input.clientId}/${input.exceptionId} --as <you>\n`);
    if (!(await condition(() => approved || revocation !== undefined, approvalWindow))) return `no MSP approval within the decision time`;
    state.pending = undefined;
    return undefined;
  };

  rules = await activities.loadExceptionRules({ clientId: input.clientId });
  const problems = exceptionRequestProblems(input, rules, Date.now());
  if (problems.length > 0) return finish('rejected', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  log('requested', input.requestedBy, input.reason);
  if (!state.ticketId) {
    const { ticketId } = await activities.openTicket({
      key: `exception|${workflowInfo().workflowId}`,
      clientId: input.clientId,
      summary: `patchctl exception ${input.exceptionId}: ${input.kind} for ${input.hostnames.length} asset(s)`.slice(0, 100),
      details: `${input.reason}\nAssets: ${input.hostnames.join(', ')}\nPatches: ${input.patchIds.join(', ') || 'all'}\nControls: ${input.controls.map((c) => `${c.category}: ${c.description}`).join('; ') || 'none'}`,
      priority: 'medium',
    });
    state.ticketId = ticketId;
  }
  log('ticket', 'patchctl', state.ticketId);
  await record('requested');

  const first = await obtainApprovals(rules.decisionTimeoutMs, 'grant');
  if (revoked()) return finishRevoked();
  if (first) return finish('rejected', first);
  log('activated', 'patchctl');
  await record('active');
  await note(`Exception active until ${end()} (signed off by ${state.signedOffBy}, approved by ${state.approvedBy}).`);

  let remindedFor: string | undefined;
  for (;;) {
    const interrupted = () => revocation !== undefined || renewal !== undefined;
    const untilReminder = Date.parse(end()) - rules.reminderBeforeMs - Date.now();
    // Activated (or renewed) inside the reminder window: remind at once rather than not at all.
    const remindNow = untilReminder > 0 ? !(await condition(interrupted, untilReminder)) : remindedFor !== end() && Date.parse(end()) > Date.now();
    if (remindNow && !interrupted()) {
      remindedFor = end();
      log('reminded', 'patchctl');
      await notify(`reminder.${end()}`, everyone(), `Exception ${input.exceptionId} ends ${end()}`, `${input.exceptionId} for ${input.hostnames.join(', ')} ends at ${end()}. Renew it (new sign-off and approval) or let the patches back into the next cycle:\n\npatchctl exception renew ${input.clientId}/${input.exceptionId} --until <date> --reason "..." --as <you>\n`);
    }
    const untilEnd = Date.parse(end()) - Date.now();
    if (untilEnd > 0) await condition(interrupted, untilEnd);
    if (revoked()) return finishRevoked();

    if (!renewal) {
      if (state.kind === 'deferral') return finish('expired', `hard expiry ${end()} reached; the patches are back in scope of the next cycle`);
      // An isolated lane is not patchable: at its review date it needs a fresh decision, and until
      // then its assets are back in scope so nobody forgets them.
      log('review-due', 'patchctl');
      await record('review-due', `review date ${end()} reached`);
      await notify(`review.${end()}`, everyone(), `Review the isolated lane ${input.exceptionId}`, `The review date ${end()} of ${input.exceptionId} has come. Renew it with a new review date or it expires:\n\npatchctl exception renew ${input.clientId}/${input.exceptionId} --until <date> --reason "..." --as <you>\n`);
      if (!(await condition(() => renewal !== undefined || revocation !== undefined, rules.decisionTimeoutMs))) {
        return finish('expired', `review date ${end()} passed without a renewal`);
      }
      if (revoked()) return finishRevoked();
    }

    const request = renewal as RenewExceptionInput;
    const wasActive = state.status === 'active';
    await record(wasActive ? 'renewal-pending' : 'review-due', `renewal to ${request.until} requested by ${request.by}`);
    // While a renewal is decided the current expiry still holds; it cannot outlive it.
    const refused = await obtainApprovals(rules.decisionTimeoutMs, 'renew', wasActive ? Date.parse(end()) : undefined);
    renewal = undefined;
    if (revoked()) return finishRevoked();
    if (refused) {
      state.pending = undefined;
      if (Date.parse(end()) <= Date.now()) return finish('expired', `${refused}; the renewal lapsed and ${end()} has passed`);
      log('rejected', 'patchctl', `renewal: ${refused}`);
      await record('active', `renewal refused: ${refused}`);
      continue;
    }
    if (state.kind === 'deferral') state.expiresAt = request.until;
    else state.reviewAt = request.until;
    log('renewed', request.by, `until ${request.until}`);
    await record('active', `renewed until ${request.until}`);
    await note(`Exception renewed until ${request.until} (signed off by ${state.signedOffBy}, approved by ${state.approvedBy}).`);
  }
}
