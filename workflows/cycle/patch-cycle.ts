import {
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import { RINGS, type RingName } from '../../config/policy-schema';
import { cycleEndRecipients, promotionPolicy } from '../../domain/cycle/cycle-deciders';
import type { CyclePlan } from '../../domain/cycle/cycle-plan';
import { earliestDeadline } from '../../domain/cycle/cycle-planning';
import type { PatchCycleResult, UnrolledAsset } from '../../domain/cycle/cycle-status';
import { ringRollbackWorkflowId } from '../../domain/ids';
import { cycleEnded, deadlineEscalation, promotionReminder, promotionRequest } from '../../domain/notices';
import { planningActivity, quickActivity } from '../activity-options';
import { CycleHalt, CycleRun, type PatchCycleInput } from './cycle-run';
import {
  abortUpdate,
  approveRingUpdate,
  cycleStatusQuery,
  gateDecisionUpdate,
  incidentUpdate,
  pauseUpdate,
  rejectPromotionUpdate,
  resumeUpdate,
  ringReportSignal,
} from './messages';
import { ringRollback } from './ring-rollback';
import { rollOutRing } from './ring-loop';

export type { PatchCycleInput } from './cycle-run';

const activities = proxyActivities<PatchctlActivities>(quickActivity);
const planning = proxyActivities<PatchctlActivities>(planningActivity);

/**
 * One durable rollout of a patch set to one client's fleet: plan, then canary → pilot → production,
 * each promoted (with approval where policy asks), deployed by a ringRollout child, gated on its
 * failure rate and soaked. Any halt rolls back every touched ring, newest first.
 */
export async function patchCycle(input: PatchCycleInput): Promise<PatchCycleResult> {
  const info = workflowInfo();
  const cycle = new CycleRun(input, info.workflowId, info.firstExecutionRunId);
  setHandler(cycleStatusQuery, () => cycle.statusNow());
  setHandler(approveRingUpdate, (a) => cycle.approve(a), { validator: (a) => cycle.validateApproval(a) });
  setHandler(rejectPromotionUpdate, (r) => cycle.reject(r), { validator: (r) => cycle.validateRejection(r) });
  setHandler(gateDecisionUpdate, (d) => cycle.decideGate(d), { validator: (d) => cycle.validateGateDecision(d) });
  setHandler(incidentUpdate, (i) => cycle.reportIncident(i), { validator: (i) => cycle.validateControl('incident', i.reportedBy, i.summary, i.signature) });
  setHandler(abortUpdate, (a) => cycle.abort(a), { validator: (a) => cycle.validateControl('abort', a.by, a.reason, a.signature) });
  setHandler(pauseUpdate, (p) => cycle.pause(p), { validator: (p) => cycle.validateControl('pause', p.by, p.reason, p.signature) });
  setHandler(resumeUpdate, (p) => cycle.resume(p), { validator: (p) => cycle.validateControl('resume', p.by, p.reason, p.signature) });
  setHandler(ringReportSignal, (r) => cycle.ringReported(r));

  // The cycle checks its own input first: an unknown or unsigned requester starts nothing.
  await cycle.refreshAuthority();
  cycle.validateStart(info.startTime);

  try {
    const plan = await planning.planCycle({
      cycleId: cycle.cycleId,
      clientId: input.clientId,
      requestedBy: input.requestedBy,
      severity: input.severity,
      patchIds: input.patchIds,
      plannedAt: new Date().toISOString(),
    });
    cycle.planned(plan);
    for (const ring of RINGS) {
      if (cycle.ring(ring).state === 'skipped') continue;
      await waitWhilePaused(cycle);
      await promote(cycle, ring, plan);
      await waitWhilePaused(cycle);
      await rollOutRing(cycle, ring, plan);
      cycle.ringPassed(ring);
    }
    const total = cycle.status.rings.reduce((n, r) => n + r.planned, 0);
    const verified = cycle.status.rings.reduce((n, r) => n + r.verified, 0);
    cycle.ended('completed', total === 0 ? 'nothing to patch' : `all rings passed; ${verified} of ${total} assets verified`);
  } catch (error) {
    const reason = haltReason(error);
    if (!(error instanceof CycleHalt)) log.error('cycle halted by an error', { reason });
    const left = await rollBack(cycle, reason);
    if (left.length === 0) cycle.ended('rolled-back', reason);
    else {
      cycle.ended('rollback-incomplete', `${reason}; rollback incomplete, still patched: ${left.map((a) => a.hostname).join(', ')}`);
      if (cycle.status.outcome) cycle.status.outcome.notRolledBack = left;
    }
  }

  const { status, reason } = cycle.result();
  await CancellationScope.nonCancellable(async () => {
    await activities.recordCycleStatus({ cycleId: cycle.cycleId, status, reason, ended: true });
    await activities.sendNotice(cycleEnded(cycle.cycleId, cycle.plan ? cycleEndRecipients(cycle.plan.ringsPolicy) : [], status, reason));
  });
  await condition(allHandlersFinished);
  const notRolledBack = cycle.status.outcome?.notRolledBack;
  return notRolledBack ? { ...cycle.result(), notRolledBack } : cycle.result();
}

function haltReason(error: unknown): string {
  if (error instanceof CycleHalt) return error.message;
  if (isCancellation(error)) return 'cycle cancelled';
  return `cycle failed: ${error instanceof Error ? error.message : String(error)}`;
}

async function waitWhilePaused(cycle: CycleRun): Promise<void> {
  await condition(() => !cycle.paused || cycle.aborted !== undefined);
  cycle.haltIfAborted();
}

/**
 * Promotion to every ring but the first waits for a named approver where policy asks for it or the
 * ring holds do-not-disrupt assets (manual reboots). A reminder follows after
 * `approvalReminderAfter`, the escalation list before the earliest SLA deadline would be missed.
 */
async function promote(cycle: CycleRun, ring: RingName, plan: CyclePlan): Promise<void> {
  const promotion = promotionPolicy(plan.ringsPolicy, ring);
  if (!promotion) return;
  const requiresApproval = promotion.requiresApproval;
  const manualReboots = plan.rings.find((r) => r.ring === ring)?.manualReboots ?? 0;
  if (!requiresApproval && manualReboots === 0) return;
  const reason = requiresApproval ? 'policy requires approval' : `${manualReboots} do-not-disrupt assets need a manual reboot approval`;
  // Deciders and keys as the policy names them now, not when the cycle started.
  await cycle.refreshAuthority();
  const { deciders } = cycle.awaitDecision({ kind: 'promotion', ring, since: new Date().toISOString(), reason }, 'awaiting-approval');
  if (deciders.length === 0) throw new CycleHalt(`nobody but the requester ${cycle.requestedBy} may approve promotion to ${ring}`);
  cycle.ring(ring).state = 'awaiting-approval';
  await activities.sendNotice(promotionRequest(cycle.cycleId, ring, deciders, reason));
  const decided = () => cycle.approvals.has(ring) || cycle.rejection !== undefined || cycle.aborted !== undefined;
  if (!(await condition(decided, plan.rollout.approvalReminderAfter))) {
    await activities.sendNotice(promotionReminder(cycle.cycleId, ring, deciders));
    const earliest = earliestDeadline(cycle.status.deadlines);
    const untilEscalation = earliest ? Date.parse(earliest) - plan.rollout.escalateBeforeDeadline - Date.now() : undefined;
    if (untilEscalation !== undefined && !(untilEscalation > 0 && (await condition(decided, untilEscalation)))) {
      await activities.sendNotice(deadlineEscalation(cycle.cycleId, ring, [...new Set([...deciders, ...plan.escalation])], earliest as string));
    }
    await condition(decided);
  }
  cycle.decisionResolved();
  cycle.ring(ring).state = cycle.approvals.has(ring) || !cycle.rejection ? 'pending' : 'rejected';
  cycle.haltIfAborted();
  if (cycle.rejection) throw new CycleHalt(`promotion to ${ring} rejected by ${cycle.rejection.approver}: ${cycle.rejection.reason}`);
}

/**
 * Compensation: a ringRollback child per touched ring, newest first, in a scope an abort cannot
 * cancel. A failing rollback is recorded and the older rings are still rolled back. Returns the
 * assets no rescan proved clean (a ring whose rollback itself failed counts as one such entry).
 */
async function rollBack(cycle: CycleRun, reason: string): Promise<UnrolledAsset[]> {
  const left: UnrolledAsset[] = [];
  cycle.status.phase = 'rolling-back';
  cycle.decisionResolved();
  const plan = cycle.plan;
  await CancellationScope.nonCancellable(async () => {
    for (const ring of [...cycle.touched.keys()].reverse()) {
      const progress = cycle.ring(ring);
      progress.state = 'rolling-back';
      try {
        const child = await startChild(ringRollback, {
          workflowId: ringRollbackWorkflowId(cycle.cycleId, ring),
          args: [
            {
              cycleId: cycle.cycleId,
              clientId: cycle.input.clientId,
              ring,
              batches: plan?.rings.find((r) => r.ring === ring)?.batches ?? 0,
              attempts: cycle.touched.get(ring) ?? 1,
              reason,
              jobPollIntervalMs: plan?.rollout.jobPollInterval ?? 30_000,
            },
          ],
        });
        const result = await child.result();
        progress.state = result.failed > 0 ? 'rollback-failed' : 'rolled-back';
        if (result.failed > 0) {
          log.warn('rollback left assets patched', { ring, failed: result.failed, failures: result.failures });
          left.push(...result.failures.map((f) => ({ ring, ...f })));
        }
      } catch (error) {
        progress.state = 'rollback-failed';
        const detail = error instanceof Error ? error.message : String(error);
        log.error('ring rollback failed', { ring, error: detail });
        left.push({ ring, hostname: `(every touched asset of ${ring})`, detail: `ring rollback failed: ${detail}` });
      }
      progress.endedAt = new Date().toISOString();
    }
  });
  return left;
}
