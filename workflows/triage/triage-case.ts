import { signatureProblem } from '../../domain/approval-signature';
import { FailureType, refuse } from '../../domain/failure-catalog';
import { personId } from '../../domain/identity';
import type { CredentialTriageInput, TriageDecision, TriageRules, TriageStatus, TriageStep, TriageStepName } from '../../domain/triage/triage';
import type { TriageAccepted } from './messages';

/**
 * The state of one credential triage and what changes it from outside: the status query and the
 * responder's decision with its validator. credentialTriage drives the steps over it.
 */
export class TriageCase {
  readonly status: TriageStatus;
  rules: TriageRules | undefined;
  decision: TriageDecision | undefined;
  /** Whether patchctl may reset this account itself once a person says so. */
  canResetAutomatically = false;

  constructor(
    readonly input: CredentialTriageInput,
    readonly workflowId: string,
    readonly runId: string,
  ) {
    const now = new Date().toISOString();
    this.status = {
      triageId: input.triageId,
      clientId: input.clientId,
      user: input.user,
      kind: input.kind,
      ...(input.alertId ? { alertId: input.alertId } : {}),
      source: input.source,
      state: 'received',
      runId,
      receivedAt: now,
      // Set from the policy's SLA once the rules are loaded.
      slaDeadline: now,
      steps: [],
      escalations: 0,
    };
  }

  begin(step: TriageStepName, withinMs: number): TriageStep {
    const started = Date.now();
    const entry: TriageStep = { step, state: 'running', startedAt: new Date(started).toISOString(), deadline: new Date(started + withinMs).toISOString() };
    this.status.steps.push(entry);
    return entry;
  }

  end(entry: TriageStep, state: 'done' | 'failed' | 'skipped', detail?: string): void {
    entry.state = state;
    entry.endedAt = new Date().toISOString();
    if (detail) entry.detail = detail;
  }

  /** Steps that were not needed or that a person did: recorded so the evidence shows each decision. */
  skip(step: TriageStepName, detail: string): void {
    this.end(this.begin(step, 0), 'skipped', detail);
  }

  // ---- update ----

  validateDecision(d: TriageDecision): void {
    if (this.status.pending?.step !== 'person') refuse(FailureType.NotPending, `triage ${this.input.clientId}/${this.input.triageId} waits for no decision (state: ${this.status.state})`);
    const responders = (this.rules?.responders ?? []).map(personId);
    if (!responders.includes(personId(d.by))) refuse(FailureType.NotAllowed, `${d.by} is not named in policy as a triage responder (triage.responders); named: ${responders.join(', ') || 'nobody'}`);
    if (d.resolution === 'reset' && !this.canResetAutomatically) {
      refuse(FailureType.InvalidInput, `resolution: patchctl cannot reset this account itself (${this.status.manualReason ?? 'no identity adapter'}); rotate it yourself and resolve with "handled", or "dismiss" a false alarm`);
    }
    const pending = this.status.pending;
    const facts = { workflowId: this.workflowId, runId: this.runId, decisionId: pending.decisionId, decision: d.resolution, by: personId(d.by), reason: d.comment ?? '' };
    const problem = signatureProblem(this.rules?.signing, facts, d.signature, { since: pending.since, now: Date.now() });
    if (problem) refuse(FailureType.NotAllowed, problem);
  }

  decide(d: TriageDecision): TriageAccepted {
    this.decision = d;
    this.status.pending = undefined;
    this.status.decision = {
      by: d.by,
      resolution: d.resolution,
      at: new Date().toISOString(),
      ...(d.comment ? { comment: d.comment } : {}),
      signed: Boolean(d.signature),
    };
    return { accepted: true, state: this.status.state };
  }

}
