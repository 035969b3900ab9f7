import { ActivityFailure, allHandlersFinished, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { IdentityUser } from '../../activities/ports';
import { manualAccountReason, type CredentialTriageInput, type TriageRules, type TriageState, type TriageStatus, type TriageStepName } from '../../domain/triage/triage';
import { triageEnded, triageEscalation, triageOwnerNotice, triagePersonRequest } from '../../domain/triage/triage-notices';
import { quickActivity } from '../activity-options';
import { resolveTriageUpdate, triageStatusQuery } from './messages';
import { TriageCase } from './triage-case';

export type { CredentialTriageInput } from '../../domain/triage/triage';

const setup = proxyActivities<PatchctlActivities>(quickActivity);

/**
 * One credential alert, contained within the triage SLA (playbook section 7): PSA ticket → forced
 * password change at next sign-in and sign-in sessions revoked → the client owner told → evidence.
 * Break-glass and shared admin accounts (and any the client's directory cannot reset) wait for a
 * named responder instead. Each step has a deadline; a step past it mails the escalation list once.
 */
export async function credentialTriage(input: CredentialTriageInput): Promise<TriageStatus> {
  const tc = new TriageCase(input, workflowInfo().workflowId, workflowInfo().firstExecutionRunId);
  setHandler(triageStatusQuery, () => tc.status);
  setHandler(resolveTriageUpdate, (d) => tc.decide(d), { validator: (d) => tc.validateDecision(d) });

  const rules = await setup.loadTriageRules({ clientId: input.clientId });
  tc.rules = rules;
  tc.status.slaDeadline = new Date(Date.parse(tc.status.receivedAt) + rules.slaMs).toISOString();
  // Vendor calls keep retrying while the SLA runs; past it the step fails and a person takes over.
  const act = proxyActivities<PatchctlActivities>({ ...quickActivity, scheduleToCloseTimeout: Math.max(1000, Date.parse(tc.status.slaDeadline) - Date.now()) });
  const run = new StepRunner(tc, rules, act);

  try {
    const { ticketId } = await run.step('ticket', () =>
      act.openTriageTicket({
        key: `triage|${tc.workflowId}`,
        clientId: input.clientId,
        summary: `Credential alert: ${input.user} (${input.kind})`.slice(0, 100),
        details: `${input.summary ?? 'no details given'}\nAccount: ${input.user}\nAlert: ${input.kind}${input.alertId ? ` (${input.alertId})` : ''}\nReceived via ${input.source} from ${input.reportedBy}\npatchctl triage ${input.clientId}/${input.triageId}`,
        priority: 'high',
      }),
    );
    tc.status.ticketId = ticketId;

    let account: IdentityUser | undefined;
    if (rules.identityAutomated) account = await run.step('lookup', () => act.lookupTriageUser({ clientId: input.clientId, user: input.user }), (u) => `${u.userPrincipalName} (${u.id})`);
    else tc.skip('lookup', 'no identity adapter');
    const manual = manualAccountReason(rules, input.user, { onPremisesSynced: account?.onPremisesSynced });
    tc.canResetAutomatically = account !== undefined && !account.onPremisesSynced;

    let containedBy = 'patchctl';
    if (manual) {
      tc.status.manualReason = manual;
      const decided = await run.person(manual);
      if (!decided) return await finish(tc, act, 'escalated', `no decision by a responder (${rules.responders.join(', ')}) within the triage SLA: ${manual}`);
      const d = tc.decision!;
      if (d.resolution === 'dismiss') return await finish(tc, act, 'dismissed', `dismissed by ${d.by}${d.comment ? `: ${d.comment}` : ''}`);
      if (d.resolution === 'handled') containedBy = d.by;
    }

    tc.status.state = 'containing';
    if (containedBy === 'patchctl' && account) {
      const userId = account.id;
      await run.step('password-change', () => act.forceTriagePasswordChange({ clientId: input.clientId, userId }), () => 'must change password at next sign-in');
      await run.step('session-revocation', () => act.revokeTriageSessions({ clientId: input.clientId, userId }), () => 'refresh tokens and session cookies revoked');
    } else {
      tc.skip('password-change', `handled by ${containedBy}`);
      tc.skip('session-revocation', `handled by ${containedBy}`);
    }

    tc.status.state = 'notifying';
    const actions =
      containedBy === 'patchctl'
        ? ['required a new password at the next sign-in', 'signed the account out of every device and app', `opened ticket ${ticketId}`]
        : [`${containedBy} secured the account by hand (${manual ?? ''})`, `opened ticket ${ticketId}`];
    const rulesOwner = rules.owner;
    await run.step('owner-notice', () => act.sendNotice(triageOwnerNotice(input, rulesOwner, actions, ticketId)), () => `told ${rulesOwner}`);
    return await finish(tc, act, 'completed', containedBy === 'patchctl' ? `contained automatically; ${rulesOwner} told` : `contained by ${containedBy}; ${rulesOwner} told`);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const why = error.cause?.message ?? error.message;
    return await finish(tc, act, 'failed', `a step failed for good: ${why}`);
  }
}

type Activities = typeof setup;

/** Runs each step against its deadline: a step that runs late escalates once, then is waited for. */
class StepRunner {
  constructor(
    private readonly tc: TriageCase,
    private readonly rules: TriageRules,
    private readonly act: Activities,
  ) {}

  async step<T>(name: TriageStepName, work: () => Promise<T>, describe?: (value: T) => string): Promise<T> {
    const entry = this.tc.begin(name, this.rules.escalateAfterMs);
    let settled = false;
    const running = work().finally(() => {
      settled = true;
    });
    // Awaited below; this only keeps an early rejection from counting as unhandled.
    running.catch(() => undefined);
    if (!(await condition(() => settled, this.rules.escalateAfterMs))) await this.escalate(name, entry.deadline);
    try {
      const value = await running;
      this.tc.end(entry, 'done', describe?.(value));
      await this.act.recordTriage(this.tc.status);
      return value;
    } catch (error) {
      this.tc.end(entry, 'failed', error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : String(error));
      throw error;
    }
  }

  /** Waits for a responder's decision; escalates at the step deadline, gives up at the SLA deadline. */
  async person(reason: string): Promise<boolean> {
    const { tc, rules } = this;
    const entry = tc.begin('person', rules.escalateAfterMs);
    await this.act.sendNotice(triagePersonRequest(tc.input, rules.responders, reason, tc.status.slaDeadline));
    tc.status.state = 'waiting-for-person';
    tc.status.pending = { step: 'person', who: rules.responders, decideBy: tc.status.slaDeadline, decisionId: 'person:1', since: new Date().toISOString() };
    await this.act.recordTriage(tc.status);
    const decided = () => tc.decision !== undefined;
    if (!(await condition(decided, rules.escalateAfterMs))) {
      await this.escalate('person', entry.deadline);
      const left = Date.parse(tc.status.slaDeadline) - Date.now();
      if (left <= 0 || !(await condition(decided, left))) {
        tc.status.pending = undefined;
        tc.end(entry, 'failed', 'no responder decided');
        return false;
      }
    }
    const d = tc.decision!;
    tc.end(entry, 'done', `${d.resolution} by ${d.by}${d.comment ? `: ${d.comment}` : ''}`);
    await this.act.recordTriage(tc.status);
    return true;
  }

  private async escalate(step: TriageStepName, deadline: string): Promise<void> {
    const { tc, rules } = this;
    const entry = [...tc.status.steps].reverse().find((s) => s.step === step);
    if (entry) entry.escalatedAt = new Date().toISOString();
    tc.status.escalations++;
    await this.act.sendNotice(triageEscalation(tc.input, rules.escalation, step, deadline, tc.status.slaDeadline));
    await this.act.recordTriage(tc.status);
  }
}

/** Every end: the record, a note on the ticket (closed when contained), mail unless it completed normally. */
async function finish(tc: TriageCase, act: Activities, state: TriageState, outcome: string): Promise<TriageStatus> {
  const s = tc.status;
  s.state = state;
  s.outcome = outcome;
  s.pending = undefined;
  s.completedAt = new Date().toISOString();
  s.slaMet = (state === 'completed' || state === 'dismissed') && Date.parse(s.completedAt) <= Date.parse(s.slaDeadline);
  await act.recordTriage(s);
  if (s.ticketId) {
    const note = `patchctl triage ${state}: ${outcome}\n${s.steps.map((st) => `${st.step}: ${st.state}${st.detail ? ` (${st.detail})` : ''}`).join('\n')}`;
    if (state === 'completed' || state === 'dismissed') await act.closeTicket({ clientId: s.clientId, ticketId: s.ticketId, resolution: note });
    else await act.addTicketNote({ clientId: s.clientId, ticketId: s.ticketId, text: note });
  }
  if (state === 'escalated' || state === 'failed') await act.sendNotice(triageEnded(tc.input, tc.rules?.escalation ?? [], state, outcome));
  await condition(allHandlersFinished);
  return s;
}
