import { CancellationScope, condition, isCancellation, proxyActivities, startChild } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { RingName } from '../../config/policy-schema';
import type { CyclePlan } from '../../domain/cycle/cycle-plan';
import { evaluateGate } from '../../domain/cycle/gate';
import { ringWorkflowId } from '../../domain/ids';
import { gateBreached } from '../../domain/notices';
import { quickActivity } from '../activity-options';
import { CycleHalt, type CycleRun } from './cycle-run';
import type { GateDecisionInput } from './messages';
import { pauseSignal } from './messages';
import { ringRollout } from './ring-rollout';

const activities = proxyActivities<PatchctlActivities>(quickActivity);

/**
 * Where one ring's rollout stands. `decide` remembers whether the breach came from the gate (an
 * override then still soaks) or from the soak (an override passes the ring).
 */
type RingStep =
  | { step: 'deploy'; attempt: number }
  | { step: 'gate' }
  | { step: 'soak' }
  | { step: 'decide'; breach: string; found: 'gate' | 'soak' }
  | { step: 'passed' };

/** Deploy → gate → soak for one ring, with the decisions a breach asks for. Throws CycleHalt to roll back. */
export async function rollOutRing(cycle: CycleRun, ring: RingName, plan: CyclePlan): Promise<void> {
  let attempt = 0;
  let at: RingStep = { step: 'deploy', attempt: 1 };
  while (at.step !== 'passed') {
    switch (at.step) {
      case 'deploy':
        attempt = at.attempt;
        await deployAttempt(cycle, ring, attempt, plan);
        at = { step: 'gate' };
        break;
      case 'gate': {
        const breach = gateBreach(cycle, ring);
        at = breach ? { step: 'decide', breach, found: 'gate' } : { step: 'soak' };
        break;
      }
      case 'soak': {
        const breach = await soak(cycle, ring, plan);
        at = breach ? { step: 'decide', breach, found: 'soak' } : { step: 'passed' };
        break;
      }
      case 'decide': {
        const decision = await awaitGateDecision(cycle, ring, attempt, at.breach, plan);
        if (decision.decision === 'rollback') throw new CycleHalt(`${at.breach}; ${decision.by} decided to roll back: ${decision.reason}`);
        if (decision.decision === 'retry-failed') at = { step: 'deploy', attempt: attempt + 1 };
        else at = at.found === 'gate' ? { step: 'soak' } : { step: 'passed' };
        break;
      }
    }
  }
}

/** Runs one attempt as a ringRollout child; an abort cancels it. */
async function deployAttempt(cycle: CycleRun, ring: RingName, attempt: number, plan: CyclePlan): Promise<void> {
  const progress = cycle.ring(ring);
  const workflowId = ringWorkflowId(cycle.cycleId, ring, attempt);
  const planned = attempt === 1 ? progress.planned : progress.failed;
  cycle.attemptStarted(ring, attempt, workflowId);
  const scope = new CancellationScope();
  cycle.ringScope = scope;
  try {
    const result = await scope.run(async () => {
      const child = await startChild(ringRollout, {
        workflowId,
        args: [
          {
            cycleId: cycle.cycleId,
            clientId: cycle.input.clientId,
            ring,
            attempt,
            planned,
            batches: plan.rings.find((r) => r.ring === ring)?.batches ?? 0,
            timezone: plan.timezone,
            maintenanceWindows: plan.maintenanceWindows,
            workloadChecks: plan.workloadChecks,
            jobPollIntervalMs: plan.rollout.jobPollInterval,
          },
        ],
      });
      // The ring is touched from the moment its rollout runs: register its compensation now.
      cycle.touched.set(ring, attempt);
      cycle.activeChild = workflowId;
      if (cycle.paused) cycle.forwardToRing(pauseSignal, { by: cycle.requestedBy });
      return child.result();
    });
    cycle.attemptEnded(ring, result);
  } catch (error) {
    if (cycle.aborted && isCancellation(error)) cycle.haltIfAborted();
    throw new CycleHalt(`${ring} rollout failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    cycle.ringScope = undefined;
    cycle.activeChild = undefined;
  }
}

/** Why the ring fails its gate right after deploying: failure rate above threshold, or an incident meanwhile. */
function gateBreach(cycle: CycleRun, ring: RingName): string | undefined {
  const progress = cycle.ring(ring);
  const gate = evaluateGate({ planned: progress.planned, failed: progress.failed, threshold: progress.threshold });
  if (gate.breached) return `failure rate ${(gate.failureRate * 100).toFixed(1)}% above the ${ring} threshold of ${(gate.threshold * 100).toFixed(1)}%`;
  const incident = cycle.takeIncident();
  return incident ? `incident during ${ring} rollout: ${incident.summary}` : undefined;
}

/** The soak: the ring passes only if it ends without an incident. */
async function soak(cycle: CycleRun, ring: RingName, plan: CyclePlan): Promise<string | undefined> {
  const progress = cycle.ring(ring);
  const soakMs = plan.ringsPolicy[ring].soak;
  progress.state = 'soaking';
  progress.soakUntil = new Date(Date.now() + soakMs).toISOString();
  cycle.status.phase = 'soaking';
  await condition(() => cycle.incident !== undefined || cycle.aborted !== undefined, soakMs);
  cycle.haltIfAborted();
  const incident = cycle.takeIncident();
  return incident ? `incident during ${ring} soak: ${incident.summary}` : undefined;
}

/**
 * A breach halts the ring: a PSA ticket, mail to the gate's deciders, and a wait for their decision
 * (rollback when none comes in time). However the gate is resolved, its ticket is closed with the
 * outcome as its last note.
 */
async function awaitGateDecision(cycle: CycleRun, ring: RingName, attempt: number, reason: string, plan: CyclePlan): Promise<GateDecisionInput> {
  const progress = cycle.ring(ring);
  const clientId = cycle.input.clientId;
  progress.state = 'gate-breached';
  cycle.status.phase = 'awaiting-decision';
  const { ticketId } = await activities.openTicket({
    key: `${cycle.cycleId}|gate|${ring}|${attempt}`,
    clientId,
    summary: `patchctl: ${ring} gate breached (${cycle.cycleId})`.slice(0, 100),
    details: `${reason}. Failure rate ${(progress.failureRate * 100).toFixed(1)}% vs threshold ${(progress.threshold * 100).toFixed(1)}%; ${progress.failed} of ${progress.planned} assets failed.`,
    priority: 'high',
  });
  const decideBy = new Date(Date.now() + plan.rollout.gateDecisionTimeout).toISOString();
  cycle.gateDecision = undefined;
  // Deciders and keys as the policy names them now; the decision gets a fresh id, so a signature
  // given at an earlier breach of this ring does not decide this one.
  await cycle.refreshAuthority();
  const { deciders } = cycle.awaitDecision({ kind: 'gate', ring, since: new Date().toISOString(), reason, decideBy }, 'awaiting-decision');
  await activities.sendNotice(gateBreached(cycle.cycleId, ring, attempt, deciders, reason, ticketId, decideBy));
  const decided = await condition(() => cycle.gateDecision !== undefined || cycle.aborted !== undefined, plan.rollout.gateDecisionTimeout);
  cycle.decisionResolved();
  const closeTicket = (resolution: string) => CancellationScope.nonCancellable(() => activities.closeTicket({ clientId, ticketId, resolution }));
  if (cycle.aborted) {
    await closeTicket(`Cycle aborted by ${cycle.aborted.by}: ${cycle.aborted.reason}`);
    cycle.haltIfAborted();
  }
  const decision = cycle.gateDecision as GateDecisionInput | undefined;
  if (!decided || !decision) {
    cycle.audit({ kind: 'timeout', ring, by: 'patchctl', decision: 'rollback', reason: `no decision by ${decideBy}` });
    await closeTicket(`No decision by ${decideBy}: rolling back.`);
    throw new CycleHalt(`${reason}; no gate decision by ${decideBy}`);
  }
  await closeTicket(`${decision.by} decided ${decision.decision}: ${decision.reason}`);
  return decision;
}
