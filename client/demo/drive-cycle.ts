import type { Client } from '@temporalio/client';
import type { PatchPolicy, RingName } from '../../config/policy-schema';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleWorkflowId } from '../../domain/ids';
import { approveRingUpdate, cycleStatusQuery, gateDecisionUpdate } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import type { PatchCycleResult } from '../../domain/cycle/cycle-status';

export interface DemoCycleSpec {
  clientId: string;
  cycleName: string;
  requestedBy: string;
  /** What the named approver answers when a gate breaches. */
  onGateBreach: 'rollback' | 'override';
}

/**
 * Plays the people around one cycle: starts it as the engineer, approves each promotion as an
 * approver named in policy (never the engineer), and answers a breached gate.
 */
export async function driveCycle(
  client: Client,
  taskQueue: string,
  policy: PatchPolicy,
  spec: DemoCycleSpec,
  onStatus: (status: CycleStatus) => void,
): Promise<PatchCycleResult> {
  const handle = await client.workflow.start(patchCycle, {
    taskQueue,
    workflowId: cycleWorkflowId(spec.clientId, spec.cycleName),
    args: [{ clientId: spec.clientId, cycleName: spec.cycleName, requestedBy: spec.requestedBy }],
  });
  const approverFor = (ring: RingName) =>
    (ring === 'production' ? policy.rings.production : policy.rings.pilot).promotion.approvers.find((a) => a !== spec.requestedBy) ?? '';
  const answered = new Set<string>();
  const result = handle.result();
  let done = false;
  void result.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    const status = await handle.query(cycleStatusQuery).catch(() => undefined);
    if (status) {
      onStatus(status);
      const pending = status.pending;
      const key = pending ? `${pending.kind}:${pending.ring}:${pending.since}` : '';
      if (pending && !answered.has(key)) {
        answered.add(key);
        if (pending.kind === 'promotion') {
          await handle.executeUpdate(approveRingUpdate, { args: [{ ring: pending.ring, approver: approverFor(pending.ring), comment: 'demo: soak clean' }] });
        } else {
          await handle.executeUpdate(gateDecisionUpdate, {
            args: [{ ring: pending.ring, decision: spec.onGateBreach, by: approverFor(pending.ring), reason: 'demo: failures confirmed on the canary' }],
          });
        }
      }
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 300))]);
  }
  return result;
}
