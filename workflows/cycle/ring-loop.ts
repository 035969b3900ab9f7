import { CancellationScope, condition, isCancellation, proxyActivities, startChild } from '@temporalio/workflow';
import type { PatchctlActivities } from '../../activities/create-activities';
import type { RingName } from '../../config/policy-schema';
import type { CyclePlan } from '../../domain/cycle/cycle-plan';
import { evaluateGate } from '../../domain/cycle/gate';
import { ringRateControls } from '../../domain/cycle/rate-controls';
import { ringResumeWorkflowId, ringWorkflowId } from '../../domain/ids';
import { gateBreached } from '../../domain/notices';
import { quickActivity } from '../activity-options';
import { CycleHalt, type CycleRun } from './cycle-run';
import type { GateDecisionInput } from './messages';
import { pauseSignal } from './messages';
import { ringRollout, type RingRolloutCarry, type RingRolloutResult } from './ring-rollout';

const activities = proxyActivities<PatchctlActivities>(quickActivity);

/**
 * Where one ring's rollout stands. `decide` remembers whether the breach came from the gate (an
 * override then still soaks) or from the soak (an override passes the ring).
 */
type RingStep =
  | { step: 'deploy'; attempt: number; resume?: Resumption }
  | { step: 'gate'; stopped?: RingRolloutResult['stopped'] }
  | { step: 'soak' }
  | { step: 'decide'; breach: string; found: 'gate' | 'soak'; stopped?: RingRolloutResult['stopped'] }
  | { step: 'passed' };

/** The rest of a stopped attempt, after a person decided to go on. */
interface Resumption {
  carried: RingRolloutCarry;
  breakerOverridden: boolean;
  errorsBefore: number;
  count: number;
}

/** Deploy → gate → soak for one ring, with the decisions a breach asks for. Throws CycleHalt to roll back. */
export async function rollOutRing(cycle: CycleRun, ring: RingName, plan: CyclePlan): Promise<void> {
  let attempt = 0;
  let resumptions = 0;
  let at: RingStep = { step: 'deploy', attempt: 1 };
  while (at.step !== 'passed') {
    switch (at.step) {
      case 'deploy': {
        attempt = at.attempt;
        const result = await deployAttempt(cycle, ring, attempt, plan, at.resume);
        at = { step: 'gate', stopped: result.stopped };
        break;
      }
      case 'gate': {
        // A ring that stopped submitting (breaker, RMM outage) always goes to a person, whatever its failure rate.
        const breach: string | undefined = at.stopped ? stoppedBreach(ring, at.stopped) : gateBreach(cycle, ring);
        at = breach ? { step: 'decide', breach, found: 'gate', stopped: at.stopped } : { step: 'soak' };
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
        const stopped: RingRolloutResult['stopped'] = at.stopped;
        if (stopped) {
          // Going on after a stop deploys the rest of the ring: an override without the breaker, a
          // retry with a fresh error budget (and, after an outage, a fresh count of vendor failures).
          const progress = cycle.ring(ring);
          const carry: RingRolloutCarry = stopped.resume;
          at = {
            step: 'deploy',
            attempt,
            resume: {
              carried: attempt === 1 ? carry : { ...carry, counts: { planned: 0, deployed: 0, verified: 0, failed: 0 } },
              breakerOverridden: decision.decision === 'override' && stopped.kind === 'breaker',
              errorsBefore: attempt === 1 ? progress.failed : 0,
              count: ++resumptions,
            },
          };
        } else if (decision.decision === 'retry-failed') at = { step: 'deploy', attempt: attempt + 1 };
        else at = at.found === 'gate' ? { step: 'soak' } : { step: 'passed' };
        break;
      }
    }
  }
}

/** Runs one attempt (or the rest of a stopped one) as a ringRollout child; an abort cancels it. */
async function deployAttempt(cycle: CycleRun, ring: RingName, attempt: number, plan: CyclePlan, resume?: Resumption): Promise<RingRolloutResult> {
  const progress = cycle.ring(ring);
  const workflowId = resume ? ringResumeWorkflowId(cycle.cycleId, ring, attempt, resume.count) : ringWorkflowId(cycle.cycleId, ring, attempt);
  const planned = resume ? resume.carried.counts.planned : attempt === 1 ? progress.planned : progress.failed;
  const ringPolicy = plan.ringsPolicy[ring];
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
            rateControls: ringRateControls(ringPolicy, progress.planned, plan.rollout.batchSize),
            outageLimits: { batchLeadTimeMs: plan.rollout.batchLeadTime, maxVendorFailures: plan.rollout.maxVendorFailures },
            jobDeadlineMs: plan.rollout.jobDeadline,
            ...(resume ? { carried: resume.carried, breakerOverridden: resume.breakerOverridden, errorsBefore: resume.errorsBefore } : {}),
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
    progress.rate = result.rate;
    return result;
  } catch (error) {
    if (cycle.aborted && isCancellation(error)) cycle.haltIfAborted();
    throw new CycleHalt(`${ring} rollout failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    cycle.ringScope = undefined;
    cycle.activeChild = undefined;
  }
}

/** A ring that stopped submitting goes to its gate decision with the counts so far. */
function stoppedBreach(ring: RingName, stopped: NonNullable<RingRolloutResult['stopped']>): string {
  const then = stopped.kind === 'breaker' ? 'override deploys the rest without the breaker, retry-failed with a fresh error budget' : 'override or retry-failed tries the RMM again';
  return `${ring} stopped submitting: ${stopped.reason} (${then})`;
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
