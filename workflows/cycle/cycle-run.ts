import { type CancellationScope, getExternalWorkflowHandle } from '@temporalio/workflow';
import { RINGS, type RingName, type Severity } from '../../config/policy-schema';
import { approvalMessage, signatureProblem, type ApprovalSignature } from '../../domain/approval-signature';
import { deciderProblem } from '../../domain/cycle/cycle-deciders';
import type { CyclePlan } from '../../domain/cycle/cycle-plan';
import {
  isCycleEnded,
  type CycleOutcome,
  type CycleStatus,
  type DecisionRecord,
  type PatchCycleResult,
  type PendingDecision,
  type RingProgress,
  type RingRolloutProgress,
} from '../../domain/cycle/cycle-status';
import { FailureType, refuse } from '../../domain/failure-catalog';
import { evaluateGate } from '../../domain/cycle/gate';
import type {
  AbortInput,
  ApproveRingInput,
  DecisionAccepted,
  GateDecisionInput,
  IncidentInput,
  PauseInput,
  RejectPromotionInput,
} from './messages';
import { pauseSignal, resumeSignal } from './messages';

export interface PatchCycleInput {
  clientId: string;
  cycleName: string;
  /** Who started the cycle: never allowed to approve its promotions (four eyes). */
  requestedBy: string;
  severity?: Severity;
  patchIds?: string[];
}

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

  constructor(
    readonly input: PatchCycleInput,
    readonly cycleId: string,
  ) {
    this.status = {
      cycleId,
      clientId: input.clientId,
      requestedBy: input.requestedBy,
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

  // ---- pending decisions ----

  awaitDecision(pending: PendingDecision, phase: 'awaiting-approval' | 'awaiting-decision'): void {
    this.status.pending = pending;
    this.status.phase = phase;
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
    return pending;
  }

  private checkDecider(person: string, pending: PendingDecision): void {
    const problem = deciderProblem(person, pending, this.input.requestedBy);
    if (problem) refuse(FailureType.NotAllowed, problem);
  }

  /** Checks a decider's signature where one is given or policy requires one; refuses otherwise. */
  private checkSignature(person: string, subject: string, decision: string, signature: ApprovalSignature | undefined): void {
    const problem = signatureProblem(this.plan?.signing, { workflowId: this.cycleId, subject, decision, by: person }, signature);
    if (problem) refuse(FailureType.NotAllowed, problem);
  }

  private signed(person: string, subject: string, decision: string, signature: ApprovalSignature | undefined): Pick<DecisionRecord, 'signature'> {
    if (!signature) return {};
    return { signature: { ...signature, message: approvalMessage({ workflowId: this.cycleId, subject, decision, by: person, signedAt: signature.signedAt }) } };
  }

  validateApproval(approval: ApproveRingInput): void {
    this.checkDecider(approval.approver, this.expectPending('promotion', approval.ring));
    this.checkSignature(approval.approver, approval.ring, 'approve', approval.signature);
  }

  approve(approval: ApproveRingInput): DecisionAccepted {
    this.approvals.set(approval.ring, approval);
    this.audit({ kind: 'approval', ring: approval.ring, by: approval.approver, decision: 'approve', reason: approval.comment, ...this.signed(approval.approver, approval.ring, 'approve', approval.signature) });
    return { accepted: true, ring: approval.ring, next: `deploying ${approval.ring}` };
  }

  validateRejection(rejection: RejectPromotionInput): void {
    if (!rejection.reason.trim()) refuse(FailureType.InvalidInput, 'a rejection needs a reason');
    const pending = this.expectPending('promotion', rejection.ring);
    this.checkDecider(rejection.approver, pending);
    this.checkSignature(rejection.approver, pending.ring, 'reject', rejection.signature);
  }

  reject(rejection: RejectPromotionInput): DecisionAccepted {
    const ring = (this.status.pending as PendingDecision).ring;
    this.rejection = rejection;
    this.audit({ kind: 'rejection', ring, by: rejection.approver, decision: 'reject', reason: rejection.reason, ...this.signed(rejection.approver, ring, 'reject', rejection.signature) });
    return { accepted: true, ring, next: 'rolling back' };
  }

  validateGateDecision(d: GateDecisionInput): void {
    this.checkDecider(d.by, this.expectPending('gate', d.ring));
    this.checkSignature(d.by, d.ring, d.decision, d.signature);
    if (!d.reason.trim()) refuse(FailureType.InvalidInput, 'a gate decision needs a reason');
    if (d.decision === 'retry-failed' && this.ring(d.ring).failed === 0) {
      refuse(FailureType.NotPending, `nothing failed in ${d.ring} to retry; choose rollback or override`);
    }
  }

  decideGate(d: GateDecisionInput): DecisionAccepted {
    this.gateDecision = d;
    this.audit({ kind: 'gate-decision', ring: d.ring, by: d.by, decision: d.decision, reason: d.reason, ...this.signed(d.by, d.ring, d.decision, d.signature) });
    const next = d.decision === 'rollback' ? 'rolling back' : d.decision === 'override' ? 'continuing' : `retrying failed assets of ${d.ring}`;
    return { accepted: true, ring: d.ring, next };
  }

  // ---- signals ----

  reportIncident(incident: IncidentInput): void {
    this.incident = incident;
    this.audit({ kind: 'incident', by: incident.reportedBy, reason: incident.summary });
  }

  /** Takes the reported incident, if any, so that each one fails a ring once. */
  takeIncident(): IncidentInput | undefined {
    const incident = this.incident;
    this.incident = undefined;
    return incident;
  }

  abort(abort: AbortInput): void {
    if (this.aborted || this.status.phase === 'rolling-back' || isCycleEnded(this.status.phase)) return;
    this.aborted = abort;
    this.audit({ kind: 'abort', by: abort.by, reason: abort.reason });
    this.ringScope?.cancel();
  }

  haltIfAborted(): void {
    if (this.aborted) throw new CycleHalt(`aborted by ${this.aborted.by}: ${this.aborted.reason}`);
  }

  pause(p: PauseInput): void {
    this.status.paused = true;
    this.forwardToRing(pauseSignal, p);
  }

  resume(p: PauseInput): void {
    this.status.paused = false;
    this.forwardToRing(resumeSignal, p);
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
