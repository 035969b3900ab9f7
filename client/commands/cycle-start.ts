import { Command } from 'commander';
import { z } from 'zod';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { previewCycle } from '../../activities/cycle/plan-cycle';
import { createPool } from '../../activities/store/pool';
import { migrateUp } from '../../activities/store/migrate';
import { loadPolicy } from '../../config/load-policy';
import { SEVERITIES } from '../../config/policy-schema';
import type { CyclePlan } from '../../domain/cycle-plan';
import type { CycleStatus } from '../../domain/cycle-status';
import { cycleNameFor, cycleWorkflowId, isValidCycleName } from '../../domain/ids';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { actor } from '../cycle-target';
import { badInput, notFound } from '../errors';
import { parseOptions } from '../options';
import { info, printJson, printTable } from '../output';
import { resolveDatabaseUrl, resolveTemporalTarget } from '../stack';
import { withClient } from '../temporal-connection';

const options = z
  .object({
    client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy'),
    severity: z.enum(SEVERITIES).optional(),
    patch: z.array(z.string().min(1)).optional(),
    name: z.string().refine(isValidCycleName, 'must be lower-case letters, digits, dots and dashes').optional(),
    as: z.string().min(1).optional(),
    dryRun: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .refine((o) => !(o.severity && o.patch), { message: 'give --severity or --patch, not both', path: ['patch'] });

interface PlanSummary {
  rings: { ring: string; assets: number; batches: number; snapshots: number; manualReboots: number }[];
  excluded: { hostname: string; reason: string; exceptionId?: string }[];
  excludedCount: number;
  patches: number;
  deadlines: { assetClass: string; severity: string; assets: number; deadline: string }[];
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

function printPlan(id: string, plan: PlanSummary, dryRun: boolean): void {
  info(`${dryRun ? 'dry run (nothing started, nothing written)' : 'started'}: ${id} — ${plan.patches} patches`);
  printTable(['ring', 'assets', 'batches'], plan.rings.map((r) => [r.ring, r.assets, r.batches]));
  if (plan.excludedCount > 0) {
    info(`excluded (${plan.excludedCount}):`);
    for (const e of plan.excluded) info(`  ${e.hostname}: ${e.reason}${e.exceptionId ? ` [${e.exceptionId}]` : ''}`);
  }
  for (const d of plan.deadlines) info(`SLA deadline ${d.deadline}: ${d.assets} ${d.assetClass} assets (${d.severity})`);
  if (!dryRun) info(`follow it: patchctl cycle status ${id} --watch`);
}

export function cycleStartCommand(): Command {
  return new Command('start')
    .description('plan and start a patch cycle for one client; prints ring sizes, excluded assets and SLA deadlines')
    .requiredOption('--client <id>', 'client id from the policy')
    .option('--severity <severity>', `patch every missing patch of this severity: ${SEVERITIES.join(' | ')}`)
    .option('--patch <id...>', 'patch these patch ids (instead of --severity)')
    .option('--name <name>', 'cycle name (default: time and scope, e.g. 20261129-0300-critical)')
    .option('--as <who>', 'who starts it (default: PATCHCTL_USER or your login); may not approve it later')
    .option('--dry-run', 'plan without starting or writing anything')
    .option('--json', 'print {"cycleId","workflowId","plan"} as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const loaded = loadPolicy();
      const policy = loaded.policy;
      if (!policy.clients.some((c) => c.id === opts.client)) {
        throw notFound(`client "${opts.client}" is not in ${loaded.file}`, `known clients: ${policy.clients.map((c) => c.id).join(', ')}`);
      }
      const requestedAt = new Date();
      const name = opts.name ?? cycleNameFor(requestedAt, opts.severity ?? (opts.patch ? 'patches' : 'all'));
      const workflowId = cycleWorkflowId(opts.client, name);
      const id = `${opts.client}/${name}`;
      const requestedBy = actor(opts.as);

      if (opts.dryRun) {
        const databaseUrl = resolveDatabaseUrl();
        await migrateUp(databaseUrl);
        const db = createPool(databaseUrl, 1);
        try {
          const plan = await previewCycle(
            { db, policy, adaptersFor: buildClientAdapters({ db, policy, env: process.env, unconfiguredVendors: 'refuse-calls' }), mailer: { send: async () => undefined } },
            { cycleId: workflowId, clientId: opts.client, requestedBy, severity: opts.severity, patchIds: opts.patch, plannedAt: requestedAt.toISOString() },
          );
          if (opts.json) printJson({ cycleId: id, workflowId, dryRun: true, plan: fromPlan(plan) });
          else printPlan(id, fromPlan(plan), true);
        } finally {
          await db.end();
        }
        return;
      }

      const target = resolveTemporalTarget();
      const status = await withClient(target, async (client) => {
        const handle = await client.workflow.start(patchCycle, {
          taskQueue: target.taskQueue,
          workflowId,
          args: [{ clientId: opts.client, cycleName: name, requestedBy, severity: opts.severity, patchIds: opts.patch }],
        });
        // The plan is the first thing the cycle does; show it once it is there.
        for (;;) {
          const current = await handle.query(cycleStatusQuery);
          if (current.phase !== 'planning') return current;
          const description = await handle.describe();
          if (description.status.name !== 'RUNNING') return current;
          await new Promise((r) => setTimeout(r, 250));
        }
      });
      if (status.outcome && status.rings.length === 0) throw badInput(`cycle ${id} could not be planned: ${status.outcome.reason}`);
      if (opts.json) printJson({ cycleId: id, workflowId, requestedBy, plan: fromStatus(status) });
      else printPlan(id, fromStatus(status), false);
    });
}
