import { type CancellationScope, getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import { RINGS, type RingName, type Severity } from '../../config/policy-schema';
import { recordedSignature, signatureProblem, textTooLong, type ApprovalSignature, type UnsignedFacts } from '../../domain/approval-signature';
import { cycleOperators, cycleStartFacts, decidersOf, deciderProblem, operatorProblem } from '../../domain/cycle/cycle-deciders';
import type { CyclePlan } from '../../domain/cycle/cycle-plan';
import {
  isCycleEnded,
  type ControlDecision,
  type CycleOutcome,
  type CycleStatus,
  type DecisionRecord,
  type PatchCycleResult,
  type PendingDecision,
  type RingProgress,
  type RingRolloutProgress,
} from '../../domain/cycle/cycle-status';
import { requesterProblem, type DecisionAuthority } from '../../domain/decision-authority';
import { FailureType, failure, refuse } from '../../domain/failure-catalog';
import { personId } from '../../domain/identity';
import { evaluateGate } from '../../domain/cycle/gate';
import { quickActivity } from '../activity-options';
import type {
  AbortInput,
  ApproveRingInput,
  ControlAccepted,
  DecisionAccepted,
  GateDecisionInput,
  IncidentInput,
  PauseInput,
  RejectPromotionInput,
} from './messages';
import { pauseSignal, resumeSignal } from './messages';

const activities = proxyActivities<PatchctlActivities>(quickActivity);

export interface PatchCycleInput {
  clientId: string;
  cycleName: string;
  /** Who started the cycle: a person the policy knows, never allowed to approve its promotions (four eyes). */
  requestedBy: string;
  severity?: Severity;
  patchIds?: string[];
  /** The requester's signature of the start (`cycleStartFacts`); required where policy requires signing. */
  signature?: ApprovalSignature;
}

type ControlAction = 'abort' | 'incident' | 'pause' | 'resume';
const CONTROL_VERB: Record<ControlAction, string> = { abort: 'abort', incident: 'report an incident on', pause: 'pause', resume: 'resume' };

/** Ends the forward path of a cycle; patchCycle turns it into a rollback with this reason. */
export class CycleHalt extends Error {}

/**
 * The state of one patch cycle and everything that changes it from outside: the status query,
 * decision updates (with their validators), incident, abort and pause signals, and the live reports
 * of the running ring. patchCycle drives the playbook's steps over it; handlers only record what
 * was asked and the steps act on it at their next await.
 */
export class CycleRun {
  readonly status: CycleStatus;
  plan: CyclePlan | undefined;
  readonly approvals = new Map<RingName, ApproveRingInput>();
  rejection: RejectPromotionInput | undefined;
  gateDecision: GateDecisionInput | undefined;
  incident: IncidentInput | undefined;
  aborted: AbortInput | undefined;
  /** Scope of the running ring child, cancelled by an abort. */
  ringScope: CancellationScope | undefined;
  /** Workflow id of the running ring child, which pause and resume are forwarded to. */
  activeChild: string | undefined;
  /** Rings whose rollout started, with the highest attempt: the compensations to run, in order. */
  readonly touched = new Map<RingName, number>();
  /** Counts of the ring before its running attempt, to add a retry's live counts to. */
  private attemptBase: Pick<RingProgress, 'deployed' | 'verified' | 'failed'> | undefined;
  /** Who decides and with which keys, as last read from the current policy. */
  authority: DecisionAuthority | undefined;
  /** The requester in its normalised spelling. */
  readonly requestedBy: string;
  /** Decision ids issued so far; each id is `<what>:<ring>:<n>` or `control:<n>`. */
  private issued = 0;
  /** Decision ids being decided (a handler is re-reading the policy) or decided: each is taken once. */
  private readonly taken = new Set<string>();

  constructor(
    readonly input: PatchCycleInput,
    readonly cycleId: string,
    /** The first-execution run id: a reused workflow id gets another, so old signatures fail. */
    readonly runId: string,
  ) {
    this.requestedBy = personId(input.requestedBy);
    this.status = {
      cycleId,
      clientId: input.clientId,
      requestedBy: this.requestedBy,
      runId,
      control: { decisionId: 'control:0', since: new Date().toISOString() },
      phase: 'planning',
      paused: false,
      startedAt: new Date().toISOString(),
      rings: [],
      deadlines: [],
      excluded: [],
      excludedCount: 0,
      patches: 0,
      decisions: [],
    };
  }

  ring(ring: RingName): RingProgress {
    return this.status.rings.find((r) => r.ring === ring) as RingProgress;
  }

  get paused(): boolean {
    return this.status.paused;
  }

  /** Adds an entry to the audit trail of decisions (what evidence export lifts out of history). `record*` means a write to the store; `log` only the workflow logger. */
  audit(entry: Omit<DecisionRecord, 'at'>): void {
    this.status.decisions.push({ ...entry, at: new Date().toISOString() });
  }

  // ---- the plan and the rings' progress ----

  planned(plan: CyclePlan): void {
    this.plan = plan;
    this.status.patches = plan.patches.length;
    this.status.excluded = plan.excluded;
    this.status.excludedCount = plan.excludedCount;
    this.status.deadlines = plan.deadlines;
    this.status.rings = RINGS.map((ring) => {
      const ringPlan = plan.rings.find((r) => r.ring === ring);
      return {
        ring,
        state: ringPlan && ringPlan.size > 0 ? 'pending' : 'skipped',
        attempt: 0,
        batches: ringPlan?.batches ?? 0,
        planned: ringPlan?.size ?? 0,
        deployed: 0,
        verified: 0,
        failed: 0,
        failureRate: 0,
        threshold: plan.ringsPolicy[ring].failureThreshold,
      };
    });
  }

  attemptStarted(ring: RingName, attempt: number, workflowId: string): void {
    const progress = this.ring(ring);
    this.attemptBase = { deployed: progress.deployed, verified: progress.verified, failed: progress.failed };
    progress.state = 'deploying';
    progress.attempt = attempt;
    progress.workflowId = workflowId;
    progress.startedAt ??= new Date().toISOString();
    this.status.phase = 'deploying';
  }

  /** A live report of the running attempt: counts so far, and whether it waits for its window. */
  ringReported(report: RingRolloutProgress): void {
    const progress = this.ring(report.ring);
    if (!progress || !this.attemptBase || report.attempt !== progress.attempt) return;
    if (progress.state !== 'deploying' && progress.state !== 'awaiting-window') return;
    this.applyCounts(progress, report, this.attemptBase);
    progress.rate = report.rate;
    const waiting = report.phase === 'waiting-for-window';
    progress.state = waiting ? 'awaiting-window' : 'deploying';
    progress.windowOpensAt = waiting ? report.windowOpensAt : undefined;
    this.status.phase = waiting ? 'awaiting-window' : 'deploying';
  }

  attemptEnded(ring: RingName, counts: Pick<RingProgress, 'deployed' | 'verified' | 'failed'>): void {
    const progress = this.ring(ring);
    this.applyCounts(progress, counts, this.attemptBase ?? { deployed: 0, verified: 0, failed: 0 });
    progress.windowOpensAt = undefined;
    this.attemptBase = undefined;
  }

  /**
   * A first attempt's counts are the ring's; a retry works on the earlier failures only, so what
   * it deployed and verified adds to the ring and the earlier failures it verified are no longer failed.
   */
  private applyCounts(progress: RingProgress, counts: Pick<RingProgress, 'deployed' | 'verified' | 'failed'>, base: Pick<RingProgress, 'deployed' | 'verified' | 'failed'>): void {
    if (progress.attempt <= 1) {
      progress.deployed = counts.deployed;
      progress.verified = counts.verified;
      progress.failed = counts.failed;
    } else {
      progress.deployed = base.deployed + counts.deployed;
      progress.verified = base.verified + counts.verified;
      progress.failed = Math.max(counts.failed, base.failed - counts.verified);
    }
    progress.failureRate = evaluateGate({ planned: progress.planned, failed: progress.failed, threshold: progress.threshold }).failureRate;
  }

  ringPassed(ring: RingName): void {
    const progress = this.ring(ring);
    progress.state = 'passed';
    progress.endedAt = new Date().toISOString();
    progress.soakUntil = undefined;
  }

  // ---- who decides, read from the current policy ----

  /** Re-reads deciders, operators and keys from the current policy (an activity, so it is in history). */
  async refreshAuthority(): Promise<DecisionAuthority> {
    this.authority = await activities.currentDeciders({ clientId: this.input.clientId });
    return this.authority;
  }

  /**
   * The workflow checks its own input before it does anything: the requester must be a person the
   * policy knows and, where policy requires signing, must have signed the start.
   */
  validateStart(startedAt: Date): void {
    const authority = this.authority as DecisionAuthority;
    const problem =
      requesterProblem(authority, this.input.requestedBy) ??
      signatureProblem(authority.signing, cycleStartFacts(this.cycleId, this.input), this.input.signature, { since: startedAt.toISOString(), now: Date.now() });
    if (problem) throw failure(FailureType.NotAllowed, `cycle ${this.cycleId} refused at start: ${problem}`);
    const signature = recordedSignature(cycleStartFacts(this.cycleId, this.input), this.input.signature);
    this.audit({ kind: 'start', by: this.requestedBy, decision: 'start-cycle', ...(signature ? { signature } : {}) });
  }

  // ---- pending decisions ----

  /** Opens a decision with a fresh id; its deciders come from the policy as read just now. */
  awaitDecision(pending: Omit<PendingDecision, 'decisionId' | 'deciders'>, phase: 'awaiting-approval' | 'awaiting-decision'): PendingDecision {
    const deciders = decidersOf((this.authority as DecisionAuthority).rings, pending.kind, pending.ring, this.requestedBy);
    const opened = { ...pending, deciders, decisionId: `${pending.kind}:${pending.ring}:${++this.issued}` };
    this.status.pending = opened;
    this.status.phase = phase;
    return opened;
  }

  decisionResolved(): void {
    this.status.pending = undefined;
  }

  private expectPending(kind: PendingDecision['kind'], ring?: RingName): PendingDecision {
    const pending = this.status.pending;
    if (!pending || pending.kind !== kind) {
      refuse(FailureType.NotPending, `no ${kind === 'promotion' ? 'promotion' : 'gate decision'} is pending for ${this.cycleId} (phase: ${this.status.phase})`);
    }
    if (ring && pending.ring !== ring) refuse(FailureType.NotPending, `the pending ${kind} is for ${pending.ring}, not ${ring}`);
    if (this.taken.has(pending.decisionId)) refuse(FailureType.NotPending, `decision ${pending.decisionId} is already being decided`);
    return pending;
  }

  private facts(decisionId: string, decision: string, by: string, reason: string | undefined): UnsignedFacts {
    return { workflowId: this.cycleId, runId: this.runId, decisionId, decision, by, reason: reason ?? '' };
  }

  /** Refuses a decision by someone the pending decision does not name, or whose signature does not hold. */
  private checkDecision(pending: PendingDecision, by: string, decision: string, reason: string | undefined, signature: ApprovalSignature | undefined): void {
    const problem =
      deciderProblem(by, pending, this.requestedBy) ??
      signatureProblem(this.authority?.signing, this.facts(pending.decisionId, decision, by, reason), signature, { since: pending.since, now: Date.now() });
    if (problem) refuse(FailureType.NotAllowed, problem);
  }

  private checkText(...fields: [string, string | undefined][]): void {
    for (const [field, text] of fields) {
      const problem = textTooLong(field, text);
      if (problem) refuse(FailureType.InvalidInput, problem);
    }
  }

  /**
   * The second check, in the update handler: takes the decision id, re-reads the policy and checks
   * the decider and signature again against it, so a removal or a revoked key between the pending
   * decision and this answer counts. Returns the pending decision the answer settles.
   */
  private async confirm(expected: PendingDecision, by: string, decision: string, reason: string | undefined, signature: ApprovalSignature | undefined): Promise<PendingDecision> {
    this.taken.add(expected.decisionId);
    try {
      const authority = await this.refreshAuthority();
      const pending = this.status.pending;
      if (!pending || pending.decisionId !== expected.decisionId) refuse(FailureType.NotPending, `decision ${expected.decisionId} is no longer pending`);
      pending.deciders = decidersOf(authority.rings, pending.kind, pending.ring, this.requestedBy);
      this.checkDecision(pending, by, decision, reason, signature);
      return pending;
    } catch (error) {
      this.taken.delete(expected.decisionId);
      throw error;
    }
  }

  private signed(pending: PendingDecision, by: string, decision: string, reason: string | undefined, signature: ApprovalSignature | undefined): Pick<DecisionRecord, 'signature'> {
    const recorded = recordedSignature(this.facts(pending.decisionId, decision, by, reason), signature);
    return recorded ? { signature: recorded } : {};
  }

  validateApproval(approval: ApproveRingInput): void {
    this.checkText(['comment', approval.comment]);
    this.checkDecision(this.expectPending('promotion', approval.ring), approval.approver, 'approve', approval.comment, approval.signature);
  }

  async approve(approval: ApproveRingInput): Promise<DecisionAccepted> {
    const pending = await this.confirm(this.status.pending as PendingDecision, approval.approver, 'approve', approval.comment, approval.signature);
    const by = personId(approval.approver);
    this.approvals.set(approval.ring, { ...approval, approver: by });
    this.audit({ kind: 'approval', ring: approval.ring, by, decision: 'approve', reason: approval.comment, ...this.signed(pending, approval.approver, 'approve', approval.comment, approval.signature) });
    return { accepted: true, ring: approval.ring, next: `deploying ${approval.ring}` };
  }

  validateRejection(rejection: RejectPromotionInput): void {
    if (!rejection.reason.trim()) refuse(FailureType.InvalidInput, 'a rejection needs a reason');
    this.checkText(['reason', rejection.reason]);
    const pending = this.expectPending('promotion', rejection.ring);
    this.checkDecision(pending, rejection.approver, 'reject', rejection.reason, rejection.signature);
  }

  async reject(rejection: RejectPromotionInput): Promise<DecisionAccepted> {
    const pending = await this.confirm(this.status.pending as PendingDecision, rejection.approver, 'reject', rejection.reason, rejection.signature);
    const by = personId(rejection.approver);
    this.rejection = { ...rejection, approver: by };
    this.audit({ kind: 'rejection', ring: pending.ring, by, decision: 'reject', reason: rejection.reason, ...this.signed(pending, rejection.approver, 'reject', rejection.reason, rejection.signature) });
    return { accepted: true, ring: pending.ring, next: 'rolling back' };
  }

  validateGateDecision(d: GateDecisionInput): void {
    if (!d.reason.trim()) refuse(FailureType.InvalidInput, 'a gate decision needs a reason');
    this.checkText(['reason', d.reason]);
    this.checkDecision(this.expectPending('gate', d.ring), d.by, d.decision, d.reason, d.signature);
    if (d.decision === 'retry-failed' && this.ring(d.ring).failed === 0) {
      refuse(FailureType.NotPending, `nothing failed in ${d.ring} to retry; choose rollback or override`);
    }
  }

  async decideGate(d: GateDecisionInput): Promise<DecisionAccepted> {
    const pending = await this.confirm(this.status.pending as PendingDecision, d.by, d.decision, d.reason, d.signature);
    const by = personId(d.by);
    this.gateDecision = { ...d, by };
    this.audit({ kind: 'gate-decision', ring: d.ring, by, decision: d.decision, reason: d.reason, ...this.signed(pending, d.by, d.decision, d.reason, d.signature) });
    const next = d.decision === 'rollback' ? 'rolling back' : d.decision === 'override' ? 'continuing' : `retrying failed assets of ${d.ring}`;
    return { accepted: true, ring: d.ring, next };
  }

  // ---- abort, incident, pause, resume: operators' updates ----

  private controlState(action: ControlAction): string | undefined {
    if (isCycleEnded(this.status.phase)) return `the cycle already ended (${this.status.phase})`;
    if (action === 'abort' && (this.aborted || this.status.phase === 'rolling-back')) return 'the cycle is already rolling back';
    if (action === 'pause' && this.paused) return 'the cycle is already paused';
    if (action === 'resume' && !this.paused) return 'the cycle is not paused';
    return undefined;
  }

  private checkControl(action: ControlAction, by: string, text: string | undefined, signature: ApprovalSignature | undefined): ControlDecision {
    const control = this.status.control as ControlDecision;
    const state = this.controlState(action);
    if (state) refuse(FailureType.NotPending, `cannot ${CONTROL_VERB[action]} ${this.cycleId}: ${state}`);
    if (this.taken.has(control.decisionId)) refuse(FailureType.NotPending, `another ${control.decisionId} request is being decided; try again`);
    const authority = this.authority;
    // Before the first read of the policy (an abort right after the start) only the handler can
    // judge: it reads the policy, then runs this check again.
    if (!authority) return control;
    const problem =
      operatorProblem(by, cycleOperators(authority, this.requestedBy), CONTROL_VERB[action]) ??
      signatureProblem(authority.signing, this.facts(control.decisionId, action, by, text), signature, { since: control.since, now: Date.now() });
    if (problem) refuse(FailureType.NotAllowed, problem);
    return control;
  }

  validateControl(action: ControlAction, by: string, text: string | undefined, signature: ApprovalSignature | undefined): void {
    this.checkText([action === 'incident' ? 'summary' : 'reason', text]);
    if (action === 'incident' && !text?.trim()) refuse(FailureType.InvalidInput, 'an incident needs a summary');
    if (action === 'abort' && !text?.trim()) refuse(FailureType.InvalidInput, 'an abort needs a reason');
    this.checkControl(action, by, text, signature);
  }

  /** Takes the control id, re-reads the policy, checks again, records, and issues the next id. */
  private async confirmControl(action: ControlAction, by: string, text: string | undefined, signature: ApprovalSignature | undefined): Promise<Pick<DecisionRecord, 'signature'>> {
    const control = this.status.control as ControlDecision;
    this.taken.add(control.decisionId);
    try {
      await this.refreshAuthority();
      if (this.status.control?.decisionId !== control.decisionId) refuse(FailureType.NotPending, `${control.decisionId} is no longer current`);
      this.taken.delete(control.decisionId);
      this.checkControl(action, by, text, signature);
    } catch (error) {
      this.taken.delete(control.decisionId);
      throw error;
    }
    this.taken.add(control.decisionId);
    this.status.control = { decisionId: `control:${++this.issued}`, since: new Date().toISOString() };
    const recorded = recordedSignature(this.facts(control.decisionId, action, by, text), signature);
    return recorded ? { signature: recorded } : {};
  }

  async reportIncident(incident: IncidentInput): Promise<ControlAccepted> {
    const signed = await this.confirmControl('incident', incident.reportedBy, incident.summary, incident.signature);
    const by = personId(incident.reportedBy);
    this.incident = { ...incident, reportedBy: by };
    this.audit({ kind: 'incident', by, reason: incident.summary, ...signed });
    return { accepted: true, next: 'the running ring fails its gate or soak' };
  }

  /** Takes the reported incident, if any, so that each one fails a ring once. */
  takeIncident(): IncidentInput | undefined {
    const incident = this.incident;
    this.incident = undefined;
    return incident;
  }

  async abort(abort: AbortInput): Promise<ControlAccepted> {
    const signed = await this.confirmControl('abort', abort.by, abort.reason, abort.signature);
    const by = personId(abort.by);
    this.aborted = { ...abort, by };
    this.audit({ kind: 'abort', by, reason: abort.reason, ...signed });
    this.ringScope?.cancel();
    return { accepted: true, next: 'rolling back' };
  }

  haltIfAborted(): void {
    if (this.aborted) throw new CycleHalt(`aborted by ${this.aborted.by}: ${this.aborted.reason}`);
  }

  async pause(p: PauseInput): Promise<ControlAccepted> {
    const signed = await this.confirmControl('pause', p.by, p.reason, p.signature);
    this.status.paused = true;
    this.audit({ kind: 'pause', by: personId(p.by), reason: p.reason, ...signed });
    this.forwardToRing(pauseSignal, { by: personId(p.by), reason: p.reason });
    return { accepted: true, next: 'paused: no new batch starts until resumed' };
  }

  async resume(p: PauseInput): Promise<ControlAccepted> {
    const signed = await this.confirmControl('resume', p.by, p.reason, p.signature);
    this.status.paused = false;
    this.audit({ kind: 'resume', by: personId(p.by), reason: p.reason, ...signed });
    this.forwardToRing(resumeSignal, { by: personId(p.by), reason: p.reason });
    return { accepted: true, next: 'resumed' };
  }

  forwardToRing(signal: typeof pauseSignal, payload: PauseInput): void {
    if (this.activeChild) getExternalWorkflowHandle(this.activeChild).signal(signal, payload).catch(() => undefined);
  }

  // ---- what others read ----

  /** The status query: deadlines are at risk when the escalation margin before them has begun. */
  statusNow(): CycleStatus {
    const now = Date.now();
    const escalateMs = this.plan?.rollout.escalateBeforeDeadline ?? 0;
    const open = !isCycleEnded(this.status.phase);
    return { ...this.status, deadlines: this.status.deadlines.map((d) => ({ ...d, atRisk: open && Date.parse(d.deadline) - now < escalateMs })) };
  }

  ended(status: CycleOutcome, reason: string): void {
    this.status.phase = status;
    this.status.outcome = { status, reason, endedAt: new Date().toISOString() };
  }

  result(): PatchCycleResult {
    const outcome = this.status.outcome as NonNullable<CycleStatus['outcome']>;
    return { cycleId: this.cycleId, status: outcome.status, reason: outcome.reason, rings: this.status.rings, excluded: this.status.excluded, decisions: this.status.decisions };
  }
}
