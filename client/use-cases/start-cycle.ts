import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { previewCycle } from '../../activities/cycle/plan-cycle';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import type { Severity } from '../../config/policy-schema';
import type { CyclePlan } from '../../domain/cycle/cycle-plan';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleStartFacts } from '../../domain/cycle/cycle-deciders';
import { cycleNameFor, cycleWorkflowId } from '../../domain/ids';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { resolveDatabaseUrl } from '../connection/stack';
import { resolveTemporalTarget, withClient } from '../connection/temporal-connection';
import { badInput, notAllowed, notFound } from '../errors';
import { signingKeyFile, signWithKeyFile } from './approval-signing';
import { actor, requester } from './cycle-target';
import { loadPolicy } from './policy';

export interface StartCycleRequest {
  clientId: string;
  severity?: Severity;
  patchIds?: string[];
  name?: string;
  requestedBy?: string;
  /** Private key file the requester signs the start with (default PATCHCTL_SIGNING_KEY_FILE). */
  key?: string;
  /** Plan only: nothing is started or written. */
  dryRun?: boolean;
}

export interface PlanSummary {
  rings: { ring: string; assets: number; batches: number; snapshots: number; manualReboots: number }[];
  excluded: { hostname: string; reason: string; exceptionId?: string }[];
  excludedCount: number;
  patches: number;
  deadlines: { assetClass: string; severity: string; assets: number; deadline: string }[];
}

export interface StartedCycle {
  /** The printed id, CLIENT/NAME. */
  id: string;
  workflowId: string;
  requestedBy: string;
  dryRun: boolean;
  plan: PlanSummary;
}

function fromPlan(plan: CyclePlan): PlanSummary {
  return {
    rings: plan.rings.map((r) => ({ ring: r.ring, assets: r.size, batches: r.batches, snapshots: r.snapshots, manualReboots: r.manualReboots })),
    excluded: plan.excluded,
    excludedCount: plan.excludedCount,
    patches: plan.patches.length,
    deadlines: plan.deadlines.map(({ atRisk: _atRisk, ...d }) => d),
  };
}

function fromStatus(status: CycleStatus): PlanSummary {
  return {
    rings: status.rings.map((r) => ({ ring: r.ring, assets: r.planned, batches: r.batches, snapshots: 0, manualReboots: 0 })),
    excluded: status.excluded,
    excludedCount: status.excludedCount,
    patches: status.patches,
    deadlines: status.deadlines.map(({ atRisk: _atRisk, ...d }) => d),
  };
}

/**
 * Plans and starts a cycle, answering once the plan is there. Start-then-poll on purpose: the cycle
 * has no update that answers with its plan, so update-with-start has nothing to ask for yet.
 */
export async function startCycle(req: StartCycleRequest): Promise<StartedCycle> {
  const { policy, file } = loadPolicy();
  if (!policy.clients.some((c) => c.id === req.clientId)) {
    throw notFound(`client "${req.clientId}" is not in ${file}`, `known clients: ${policy.clients.map((c) => c.id).join(', ')}`);
  }
  const requestedAt = new Date();
  const name = req.name ?? cycleNameFor(requestedAt, req.severity ?? (req.patchIds ? 'patches' : 'all'));
  const workflowId = cycleWorkflowId(req.clientId, name);
  const id = `${req.clientId}/${name}`;
  // A dry run starts nothing, so anyone may preview; a real start needs a person the policy knows.
  const requestedBy = req.dryRun ? actor(req.requestedBy) : requester(policy, actor(req.requestedBy));

  if (req.dryRun) {
    const databaseUrl = resolveDatabaseUrl();
    await migrateUp(databaseUrl);
    const db = createPool(databaseUrl, 1);
    try {
      const plan = await previewCycle(
        { db, policy, adaptersFor: buildClientAdapters({ db, policy, env: process.env }), mailer: { send: async () => undefined } },
        { cycleId: workflowId, clientId: req.clientId, requestedBy, severity: req.severity, patchIds: req.patchIds, plannedAt: requestedAt.toISOString() },
      );
      return { id, workflowId, requestedBy, dryRun: true, plan: fromPlan(plan) };
    } finally {
      await db.end();
    }
  }

  const args = { clientId: req.clientId, cycleName: name, requestedBy, severity: req.severity, patchIds: req.patchIds };
  const keyFile = signingKeyFile(req.key);
  if (!keyFile && policy.signing.requireSignedApprovals) {
    throw notAllowed(`policy ${file} requires signed decisions and this cycle start is unsigned`, 'sign it as yourself: --key YOUR.key.pem (or PATCHCTL_SIGNING_KEY_FILE)');
  }
  const signature = keyFile ? signWithKeyFile(keyFile, cycleStartFacts(workflowId, args)) : undefined;
  const target = resolveTemporalTarget();
  const status = await withClient(target, async (client) => {
    let handle;
    try {
      // A cycle id is used once: old signatures never meet a new cycle under the same id.
      handle = await client.workflow.start(patchCycle, { taskQueue: target.taskQueue, workflowId, workflowIdReusePolicy: 'REJECT_DUPLICATE', args: [{ ...args, signature }] });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        throw notAllowed(`cycle ${id} already exists (running or closed); a cycle id is used once`, `pick another --name, or see it with \`patchctl cycle status ${id}\``);
      }
      throw error;
    }
    // The plan is the first thing the cycle does; answer once it is there.
    for (;;) {
      const current = await handle.query(cycleStatusQuery);
      if (current.phase !== 'planning') return current;
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return current;
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  if (status.outcome && status.rings.length === 0) throw badInput(`cycle ${id} could not be planned: ${status.outcome.reason}`);
  return { id, workflowId, requestedBy, dryRun: false, plan: fromStatus(status) };
}
