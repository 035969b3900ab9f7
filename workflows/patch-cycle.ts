import {
  CancellationScope,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { PatchctlActivities } from '../activities/create-activities';
import { RINGS, type RingName, type Severity } from '../config/policy-schema';
import type { CyclePlan } from '../domain/cycle-plan';
import type { CycleOutcome, CycleStatus, DecisionRecord, ExcludedAsset, PendingDecision, RingProgress } from '../domain/cycle-status';
import { approvalMessage, signatureProblem, type ApprovalSignature } from '../domain/approval-signature';
import { FailureType, refuse } from '../domain/failure-catalog';
import { evaluateGate } from '../domain/gate';
import { ringRollbackWorkflowId, ringWorkflowId } from '../domain/ids';
import { cycleEnded, deadlineEscalation, gateBreached, promotionReminder, promotionRequest, type Notice } from '../domain/notices';
import { quickActivity } from './activity-options';
import {
  abortSignal,
  approveRingUpdate,
  cycleStatusQuery,
  gateDecisionUpdate,
  incidentSignal,
  pauseSignal,
  rejectPromotionUpdate,
  resumeSignal,
  type AbortInput,
  type ApproveRingInput,
  type GateDecisionInput,
  type IncidentInput,
  type RejectPromotionInput,
} from './messages';
import { ringRollback } from './ring-rollback';
import { ringRollout } from './ring-rollout';

const activities = proxyActivities<PatchctlActivities>(quickActivity);
const planning = proxyActivities<PatchctlActivities>({ ...quickActivity, startToCloseTimeout: '10m' });

export interface PatchCycleInput {
  clientId: string;
  cycleName: string;
  /** Who started the cycle: never allowed to approve its promotions (four eyes). */
  requestedBy: string;
  severity?: Severity;
  patchIds?: string[];
}

export interface PatchCycleResult {
  cycleId: string;
  status: CycleOutcome;
  reason: string;
  rings: RingProgress[];
  /** Assets the plan left out (exception or isolated lane), first EXCLUDED_LIST_LIMIT of them. */
  excluded: ExcludedAsset[];
  decisions: DecisionRecord[];
}

/** Ends the forward path of a cycle; the catch turns it into a rollback with this reason. */
class CycleHalt extends Error {}


/**
 * One durable rollout of a patch set to one client's fleet: plan, then canary → pilot → production,
 * each deployed by a ringRollout child, gated on its failure rate, soaked, and promoted (with
 * approval where policy asks). Any halt rolls back every touched ring, newest first.
 */
export async function patchCycle(input: PatchCycleInput): Promise<PatchCycleResult> {
  const cycleId = workflowInfo().workflowId;
  const state: CycleStatus = {
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
  let plan: CyclePlan | undefined;
  const approvals = new Map<RingName, ApproveRingInput>();
  let rejection: RejectPromotionInput | undefined;
  let gateDecision: GateDecisionInput | undefined;
  let incident: IncidentInput | undefined;
  let abort: AbortInput | undefined;
  let ringScope: CancellationScope | undefined;
  let activeChild: string | undefined;
  /** Rings whose rollout started, with the highest attempt: the compensations to run. */
  const touched = new Map<RingName, number>();

  const record = (entry: Omit<DecisionRecord, 'at'>) => state.decisions.push({ ...entry, at: new Date().toISOString() });
  const ringState = (ring: RingName) => state.rings.find((r) => r.ring === ring) as RingProgress;

  const checkDecider = (person: string, pending: PendingDecision) => {
    if (person === input.requestedBy) {
      refuse(FailureType.NotAllowed, `${person} started this cycle and cannot also decide on it (four-eyes rule); ask one of: ${pending.deciders.join(', ') || 'nobody is named'}`);
    }
    if (!pending.deciders.includes(person)) {
      refuse(FailureType.NotAllowed, `${person} is not named in policy for ${pending.kind === 'promotion' ? `promotion to ${pending.ring}` : `the ${pending.ring} gate`}; named: ${pending.deciders.join(', ') || 'nobody'}`);
    }
  };
  /** Checks an approver's signature where one is given or policy requires one; refuses otherwise. */
  const checkSignature = (person: string, subject: string, decision: string, signature: ApprovalSignature | undefined) => {
    const problem = signatureProblem(plan?.signing, { workflowId: cycleId, subject, decision, by: person }, signature);
    if (problem) refuse(FailureType.NotAllowed, problem);
  };
  const signed = (person: string, subject: string, decision: string, signature: ApprovalSignature | undefined) =>
    signature
      ? { signature: { ...signature, message: approvalMessage({ workflowId: cycleId, subject, decision, by: person, signedAt: signature.signedAt }) } }
      : {};

  const expectPending = (kind: PendingDecision['kind'], ring?: RingName): PendingDecision => {
    const pending = state.pending;
    if (!pending || pending.kind !== kind) {
      refuse(FailureType.NotPending, `no ${kind === 'promotion' ? 'promotion' : 'gate decision'} is pending for ${cycleId} (phase: ${state.phase})`);
    }
    if (ring && pending.ring !== ring) refuse(FailureType.NotPending, `the pending ${kind} is for ${pending.ring}, not ${ring}`);
    return pending;
  };

  setHandler(cycleStatusQuery, () => {
    const now = Date.now();
    const escalateMs = plan?.rollout.escalateBeforeDeadline ?? 0;
    const open = state.phase !== 'completed' && state.phase !== 'rolled-back';
    return { ...state, deadlines: state.deadlines.map((d) => ({ ...d, atRisk: open && Date.parse(d.deadline) - now < escalateMs })) };
  });
  setHandler(
    approveRingUpdate,
    (approval) => {
      approvals.set(approval.ring, approval);
      record({ kind: 'approval', ring: approval.ring, by: approval.approver, decision: 'approve', reason: approval.comment, ...signed(approval.approver, approval.ring, 'approve', approval.signature) });
      return { accepted: true, ring: approval.ring, next: `deploying ${approval.ring}` };
    },
    {
      validator: (approval) => {
        checkDecider(approval.approver, expectPending('promotion', approval.ring));
        checkSignature(approval.approver, approval.ring, 'approve', approval.signature);
      },
    },
  );
  setHandler(
    rejectPromotionUpdate,
    (r) => {
      const ring = (state.pending as PendingDecision).ring;
      rejection = r;
      record({ kind: 'rejection', ring, by: r.approver, decision: 'reject', reason: r.reason, ...signed(r.approver, ring, 'reject', r.signature) });
      return { accepted: true, ring, next: 'rolling back' };
    },
    {
      validator: (r) => {
        if (!r.reason.trim()) refuse(FailureType.InvalidInput, 'a rejection needs a reason');
        const pending = expectPending('promotion');
        checkDecider(r.approver, pending);
        checkSignature(r.approver, pending.ring, 'reject', r.signature);
      },
    },
  );
  setHandler(
    gateDecisionUpdate,
    (d) => {
      gateDecision = d;
      record({ kind: 'gate-decision', ring: d.ring, by: d.by, decision: d.decision, reason: d.reason, ...signed(d.by, d.ring, d.decision, d.signature) });
      return { accepted: true, ring: d.ring, next: d.decision === 'rollback' ? 'rolling back' : d.decision === 'override' ? 'continuing' : `retrying failed assets of ${d.ring}` };
    },
    {
      validator: (d) => {
        checkDecider(d.by, expectPending('gate', d.ring));
        checkSignature(d.by, d.ring, d.decision, d.signature);
        if (!d.reason.trim()) refuse(FailureType.InvalidInput, 'a gate decision needs a reason');
        if (d.decision === 'retry-failed' && ringState(d.ring).failed === 0) {
          refuse(FailureType.NotPending, `nothing failed in ${d.ring} to retry; choose rollback or override`);
        }
      },
    },
  );
  setHandler(incidentSignal, (i) => {
    incident = i;
    record({ kind: 'incident', by: i.reportedBy, reason: i.summary });
  });
  setHandler(abortSignal, (a) => {
    if (abort || state.phase === 'rolling-back' || state.phase === 'completed' || state.phase === 'rolled-back') return;
    abort = a;
    record({ kind: 'abort', by: a.by, reason: a.reason });
    ringScope?.cancel();
  });
  const forward = (signal: typeof pauseSignal, payload: { by: string; reason?: string }) => {
    if (activeChild) getExternalWorkflowHandle(activeChild).signal(signal, payload).catch(() => undefined);
  };
  setHandler(pauseSignal, (p) => {
    state.paused = true;
    forward(pauseSignal, p);
  });
  setHandler(resumeSignal, (p) => {
    state.paused = false;
    forward(resumeSignal, p);
  });

  const notify = (notice: Notice) => activities.sendNotice(notice);
  const haltIfAborted = () => {
    if (abort) throw new CycleHalt(`aborted by ${abort.by}: ${abort.reason}`);
  };
  const waitWhilePaused = async () => {
    await condition(() => !state.paused || abort !== undefined);
    haltIfAborted();
  };

  async function promote(ring: RingName, p: CyclePlan): Promise<void> {
    // The canary starts the cycle: there is nothing to promote from.
    if (ring === 'canary') return;
    const policy = p.ringsPolicy[ring];
    const manualReboots = p.rings.find((r) => r.ring === ring)?.manualReboots ?? 0;
    if (!policy.promotion.requiresApproval && manualReboots === 0) return;
    const deciders = policy.promotion.approvers.filter((a) => a !== input.requestedBy);
    const reason = policy.promotion.requiresApproval ? 'policy requires approval' : `${manualReboots} do-not-disrupt assets need a manual reboot approval`;
    if (deciders.length === 0) throw new CycleHalt(`nobody but the requester ${input.requestedBy} may approve promotion to ${ring}`);
    state.pending = { kind: 'promotion', ring, deciders, since: new Date().toISOString(), reason };
    state.phase = 'awaiting-approval';
    ringState(ring).state = 'awaiting-approval';
    await notify(promotionRequest(cycleId, ring, deciders, reason));
    const decided = () => approvals.has(ring) || rejection !== undefined || abort !== undefined;
    if (!(await condition(decided, p.rollout.approvalReminderAfter))) {
      await notify(promotionReminder(cycleId, ring, deciders));
      const earliest = state.deadlines.reduce<string | undefined>((min, d) => (!min || d.deadline < min ? d.deadline : min), undefined);
      const untilEscalation = earliest ? Date.parse(earliest) - p.rollout.escalateBeforeDeadline - Date.now() : undefined;
      if (untilEscalation !== undefined && !(untilEscalation > 0 && (await condition(decided, untilEscalation)))) {
        await notify(deadlineEscalation(cycleId, ring, [...new Set([...deciders, ...p.escalation])], earliest as string));
      }
      await condition(decided);
    }
    state.pending = undefined;
    ringState(ring).state = rejection ? 'rejected' : 'pending';
    if (approvals.has(ring)) ringState(ring).state = 'pending';
    haltIfAborted();
    if (rejection) throw new CycleHalt(`promotion to ${ring} rejected by ${rejection.approver}: ${rejection.reason}`);
  }

  async function deployAttempt(ring: RingName, attempt: number, p: CyclePlan): Promise<void> {
    const progress = ringState(ring);
    const ringPlan = p.rings.find((r) => r.ring === ring);
    const workflowId = ringWorkflowId(cycleId, ring, attempt);
    progress.state = 'deploying';
    progress.attempt = attempt;
    progress.workflowId = workflowId;
    progress.startedAt ??= new Date().toISOString();
    state.phase = 'deploying';
    const scope = new CancellationScope();
    ringScope = scope;
    try {
      const result = await scope.run(async () => {
        const child = await startChild(ringRollout, {
          workflowId,
          args: [
            {
              cycleId,
              clientId: input.clientId,
              ring,
              attempt,
              planned: attempt === 1 ? progress.planned : progress.failed,
              batches: ringPlan?.batches ?? 0,
              timezone: p.timezone,
              maintenanceWindows: p.maintenanceWindows,
              workloadChecks: p.workloadChecks,
              jobPollIntervalMs: p.rollout.jobPollInterval,
            },
          ],
        });
        // The ring is touched from the moment its rollout runs: register its compensation now.
        touched.set(ring, attempt);
        activeChild = workflowId;
        if (state.paused) forward(pauseSignal, { by: input.requestedBy });
        return child.result();
      });
      if (attempt === 1) {
        progress.deployed = result.deployed;
        progress.verified = result.verified;
        progress.failed = result.failed;
      } else {
        progress.deployed += result.deployed;
        progress.verified += result.verified;
        progress.failed = result.failed;
      }
      progress.failureRate = evaluateGate({ planned: progress.planned, failed: progress.failed, threshold: progress.threshold }).failureRate;
    } catch (error) {
      if (abort && isCancellation(error)) haltIfAborted();
      throw new CycleHalt(`${ring} rollout failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      ringScope = undefined;
      activeChild = undefined;
    }
  }

  async function awaitGateDecision(ring: RingName, attempt: number, reason: string, p: CyclePlan): Promise<GateDecisionInput> {
    const progress = ringState(ring);
    const deciders = p.ringsPolicy[ring === 'production' ? 'production' : 'pilot'].promotion.approvers.filter((a) => a !== input.requestedBy);
    progress.state = 'gate-breached';
    state.phase = 'awaiting-decision';
    const { ticketId } = await activities.openTicket({
      key: `${cycleId}|gate|${ring}|${attempt}`,
      clientId: input.clientId,
      summary: `patchctl: ${ring} gate breached (${cycleId})`.slice(0, 100),
      details: `${reason}. Failure rate ${(progress.failureRate * 100).toFixed(1)}% vs threshold ${(progress.threshold * 100).toFixed(1)}%; ${progress.failed} of ${progress.planned} assets failed.`,
      priority: 'high',
    });
    const decideBy = new Date(Date.now() + p.rollout.gateDecisionTimeout).toISOString();
    gateDecision = undefined;
    state.pending = { kind: 'gate', ring, deciders, since: new Date().toISOString(), reason, decideBy };
    await notify(gateBreached(cycleId, ring, attempt, deciders, reason, ticketId, decideBy));
    const decided = await condition(() => gateDecision !== undefined || abort !== undefined, p.rollout.gateDecisionTimeout);
    state.pending = undefined;
    haltIfAborted();
    if (!decided || !gateDecision) {
      record({ kind: 'timeout', ring, by: 'patchctl', decision: 'rollback', reason: `no decision by ${decideBy}` });
      await activities.addTicketNote({ clientId: input.clientId, ticketId, text: `No decision by ${decideBy}: rolling back.` });
      throw new CycleHalt(`${reason}; no gate decision by ${decideBy}`);
    }
    const decision: GateDecisionInput = gateDecision;
    await activities.addTicketNote({ clientId: input.clientId, ticketId, text: `${decision.by} decided ${decision.decision}: ${decision.reason}` });
    return decision;
  }

  async function soak(ring: RingName, p: CyclePlan): Promise<string | undefined> {
    const progress = ringState(ring);
    const soakMs = p.ringsPolicy[ring].soak;
    progress.state = 'soaking';
    progress.soakUntil = new Date(Date.now() + soakMs).toISOString();
    state.phase = 'soaking';
    await condition(() => incident !== undefined || abort !== undefined, soakMs);
    haltIfAborted();
    if (!incident) return undefined;
    const summary = incident.summary;
    incident = undefined;
    return `incident during ${ring} soak: ${summary}`;
  }

  /** Deploy → gate → soak for one ring, with the decisions a breach asks for. */
  async function runRing(ring: RingName, p: CyclePlan): Promise<void> {
    const progress = ringState(ring);
    let attempt = 1;
    let deploy = true;
    let gateOverridden = false;
    for (;;) {
      if (deploy) {
        await deployAttempt(ring, attempt, p);
        deploy = false;
        gateOverridden = false;
      }
      let breach: string | undefined;
      let duringSoak = false;
      if (!gateOverridden) {
        const gate = evaluateGate({ planned: progress.planned, failed: progress.failed, threshold: progress.threshold });
        if (gate.breached) breach = `failure rate ${(gate.failureRate * 100).toFixed(1)}% above the ${ring} threshold of ${(gate.threshold * 100).toFixed(1)}%`;
        else if (incident) {
          breach = `incident during ${ring} rollout: ${incident.summary}`;
          incident = undefined;
        }
      }
      if (!breach) {
        breach = await soak(ring, p);
        duringSoak = true;
        if (!breach) return;
      }
      const decision = await awaitGateDecision(ring, attempt, breach, p);
      if (decision.decision === 'rollback') throw new CycleHalt(`${breach}; ${decision.by} decided to roll back: ${decision.reason}`);
      if (decision.decision === 'retry-failed') {
        attempt++;
        deploy = true;
        continue;
      }
      if (duringSoak) return;
      gateOverridden = true;
    }
  }

  async function rollBack(reason: string, p: CyclePlan | undefined): Promise<void> {
    state.phase = 'rolling-back';
    state.pending = undefined;
    await CancellationScope.nonCancellable(async () => {
      for (const ring of [...touched.keys()].reverse()) {
        const progress = ringState(ring);
        progress.state = 'rolling-back';
        try {
          const result = await (
            await startChild(ringRollback, {
              workflowId: ringRollbackWorkflowId(cycleId, ring),
              args: [
                {
                  cycleId,
                  clientId: input.clientId,
                  ring,
                  batches: p?.rings.find((r) => r.ring === ring)?.batches ?? 0,
                  attempts: touched.get(ring) ?? 1,
                  reason,
                  jobPollIntervalMs: p?.rollout.jobPollInterval ?? 30_000,
                },
              ],
            })
          ).result();
          progress.state = result.failed > 0 ? 'rollback-failed' : 'rolled-back';
          if (result.failed > 0) log.warn('rollback left assets patched', { ring, failed: result.failed, failures: result.failures });
        } catch (error) {
          // A failing compensation is recorded; the older rings are still rolled back.
          progress.state = 'rollback-failed';
          log.error('ring rollback failed', { ring, error: error instanceof Error ? error.message : String(error) });
        }
        progress.endedAt = new Date().toISOString();
      }
    });
  }

  let outcome: { status: CycleOutcome; reason: string };
  try {
    plan = await planning.planCycle({
      cycleId,
      clientId: input.clientId,
      requestedBy: input.requestedBy,
      severity: input.severity,
      patchIds: input.patchIds,
      plannedAt: new Date().toISOString(),
    });
    const p = plan;
    state.patches = p.patches.length;
    state.excluded = p.excluded;
    state.excludedCount = p.excludedCount;
    state.deadlines = p.deadlines;
    state.rings = RINGS.map((ring) => {
      const ringPlan = p.rings.find((r) => r.ring === ring);
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
        threshold: p.ringsPolicy[ring].failureThreshold,
      };
    });
    for (const ring of RINGS) {
      if (ringState(ring).state === 'skipped') continue;
      await waitWhilePaused();
      await promote(ring, p);
      await waitWhilePaused();
      await runRing(ring, p);
      const progress = ringState(ring);
      progress.state = 'passed';
      progress.endedAt = new Date().toISOString();
      progress.soakUntil = undefined;
    }
    const total = state.rings.reduce((n, r) => n + r.planned, 0);
    outcome = { status: 'completed', reason: total === 0 ? 'nothing to patch' : `all rings passed; ${state.rings.reduce((n, r) => n + r.verified, 0)} of ${total} assets verified` };
    state.phase = 'completed';
  } catch (error) {
    const reason =
      error instanceof CycleHalt
        ? error.message
        : isCancellation(error)
          ? 'cycle cancelled'
          : `cycle failed: ${error instanceof Error ? error.message : String(error)}`;
    if (!(error instanceof CycleHalt)) log.error('cycle halted by an error', { reason });
    await rollBack(reason, plan);
    outcome = { status: 'rolled-back', reason };
    state.phase = 'rolled-back';
  }

  state.outcome = { ...outcome, endedAt: new Date().toISOString() };
  await CancellationScope.nonCancellable(async () => {
    await activities.recordCycleStatus({ cycleId, status: outcome.status, reason: outcome.reason, ended: true });
    const deciders = [...new Set(plan ? [...plan.ringsPolicy.pilot.promotion.approvers, ...plan.ringsPolicy.production.promotion.approvers] : [])];
    await notify(cycleEnded(cycleId, deciders, outcome.status, outcome.reason));
  });
  await condition(allHandlersFinished);
  return { cycleId, status: outcome.status, reason: outcome.reason, rings: state.rings, excluded: state.excluded, decisions: state.decisions };
}
