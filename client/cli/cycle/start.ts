import type { Command } from 'commander';
import { isValidCycleName } from '../../../domain/ids';
import { defineCommand } from '../define-command';
import { actorOption, clientOption, jsonOption, keyOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson, printTable } from '../output';
import type { StartedCycle } from '../../use-cases/start-cycle';

function printPlan({ id, plan, dryRun }: StartedCycle): void {
  info(`${dryRun ? 'dry run (nothing started, nothing written)' : 'started'}: ${id} — ${plan.patches} patches`);
  printTable(['ring', 'assets', 'batches'], plan.rings.map((r) => [r.ring, r.assets, r.batches]));
  if (plan.excludedCount > 0) {
    info(`excluded (${plan.excludedCount}):`);
    for (const e of plan.excluded) info(`  ${e.hostname}: ${e.reason}${e.exceptionId ? ` [${e.exceptionId}]` : ''}`);
  }
  for (const d of plan.deadlines) info(`SLA deadline ${d.deadline}: ${d.assets} ${d.assetClass} assets (${d.severity})`);
  if (!dryRun) {
    info(`follow it: patchctl cycle status ${id} --watch`);
    info(`approve a promotion once the status shows it pending: patchctl cycle approve ${id} --ring pilot --as APPROVER`);
  }
}

export function cycleStartCommand(): Command {
  return defineCommand({
    name: 'start',
    description: 'plan and start a patch cycle for one client; prints ring sizes, excluded assets and SLA deadlines',
    options: {
      client: clientOption(),
      severity: option('--severity <severity>', 'patch every missing patch of this severity: critical | high | routine', ({ z, policy }) => z.enum(policy.SEVERITIES)),
      patch: option('--patch <id...>', 'patch these patch ids (instead of --severity)', ({ z }) => z.array(z.string().min(1))),
      name: option('--name <name>', 'cycle name (default: time and scope, e.g. 20261129-0300-critical)', ({ z }) =>
        z.string().refine(isValidCycleName, 'must be lower-case letters, digits, dots and dashes'),
      ),
      as: actorOption('who starts it (a person the policy knows); may not approve it later'),
      key: keyOption('the start, as the requester'),
      dryRun: option('--dry-run', 'plan without starting or writing anything', ({ z }) => z.boolean()),
      json: jsonOption('print {"cycleId","workflowId","requestedBy","plan"} as one JSON document'),
    },
    check: (o) => (o.severity && o.patch ? [{ key: 'patch', message: 'give --severity or --patch, not both' }] : []),
    run: async (opts) => {
      const { startCycle } = (await import('../../use-cases/start-cycle.js'));
      const started = await startCycle({ clientId: opts.client, severity: opts.severity, patchIds: opts.patch, name: opts.name, requestedBy: opts.as, key: opts.key, dryRun: opts.dryRun });
      if (opts.json) {
        const { id, workflowId, requestedBy, plan } = started;
        printJson(started.dryRun ? { cycleId: id, workflowId, dryRun: true, plan } : { cycleId: id, workflowId, requestedBy, plan });
      } else printPlan(started);
    },
  });
}
