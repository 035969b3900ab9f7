import type { Client } from '@temporalio/client';
import type { PatchPolicy, RingName } from '../../config/policy-schema';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleWorkflowId } from '../../domain/ids';
import { cycleStartFacts } from '../../domain/cycle/cycle-deciders';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import type { PatchCycleResult } from '../../domain/cycle/cycle-status';
import { cycleDecisionUpdate, type Signer } from '../use-cases/decide';

export interface DemoCycleSpec {
  clientId: string;
  cycleName: string;
  requestedBy: string;
  /** What the named approver answers when a gate breaches. */
  onGateBreach: 'rollback' | 'override';
}

/**
 * Plays the people around one cycle: starts it as the engineer, approves each promotion as an
 * approver named in policy (never the engineer), and answers a breached gate; each signs with their
 * own key, as the policy requires.
 */
export async function driveCycle(
  client: Client,
  taskQueue: string,
  policy: PatchPolicy,
  spec: DemoCycleSpec,
  onStatus: (status: CycleStatus) => void,
  signerOf: (person: string) => Signer,
): Promise<PatchCycleResult> {
  const workflowId = cycleWorkflowId(spec.clientId, spec.cycleName);
  const args = { clientId: spec.clientId, cycleName: spec.cycleName, requestedBy: spec.requestedBy };
  const signature = signerOf(spec.requestedBy)(cycleStartFacts(workflowId, args));
  const handle = await client.workflow.start(patchCycle, { taskQueue, workflowId, workflowIdReusePolicy: 'REJECT_DUPLICATE', args: [{ ...args, signature }] });
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
        const by = approverFor(pending.ring);
        const decision =
          pending.kind === 'promotion'
            ? { kind: 'approve-ring' as const, ring: pending.ring, by, comment: 'demo: soak clean' }
            : { kind: 'gate' as const, ring: pending.ring, decision: spec.onGateBreach, by, reason: 'demo: failures confirmed on the canary' };
        await cycleDecisionUpdate(status, decision, signerOf(by)).send(handle);
      }
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 300))]);
  }
  return result;
}
