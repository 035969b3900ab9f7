import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { createProgress, info, printJson } from '../output';

const STAGES = ['reconciling', 'ticketing', 'done'] as const;

export function inventoryDiscoverCommand(): Command {
  return defineCommand({
    name: 'discover',
    description: "run the client's discovery now (the RMM's device and software lists, the scan files of its policy) and wait for the result",
    options: { client: clientOption(), json: jsonOption('print the run (counts, ticket) as one JSON document') },
    run: async (opts) => {
      const [{ resolveTemporalTarget, withClient }, { discovery }, { discoveryStageQuery }] = await Promise.all([
        import('../../connection/temporal-connection.js'),
        import('../../../workflows/discovery/discovery.js'),
        import('../../../workflows/discovery/messages.js'),
      ]);
      const target = resolveTemporalTarget();
      const result = await withClient(target, async (client) => {
        // The Schedule's runs are discovery-<client>-<time>; a manual run says so in its id.
        const handle = await client.workflow.start(discovery, {
          taskQueue: target.taskQueue,
          workflowId: `discovery-${opts.client}-manual-${new Date().toISOString()}`,
          args: [{ clientId: opts.client }],
        });
        const progress = createProgress();
        const bar = progress.bar(`discovery of ${opts.client}`, STAGES.length);
        const ticker = setInterval(() => {
          handle
            .query(discoveryStageQuery)
            .then((stage) => bar.update(STAGES.indexOf(stage) + 1, stage))
            .catch(() => undefined);
        }, 500);
        try {
          return await handle.result();
        } finally {
          clearInterval(ticker);
          bar.update(STAGES.length, 'done');
          progress.stop();
        }
      });
      if (opts.json) {
        printJson(result);
        return;
      }
      const c = result.counts;
      info(
        `discovery of ${result.clientId}: ${c.devices} devices (${c.rmmDevices} from the RMM, ${c.otherSourceDevices} only in scan files), ${c.software} software entries; ` +
          `${c.new} new, ${c.unmanaged} unmanaged, ${c.silent} gone silent, ${c.returned} back, ${c['os-changed']} OS changed, ${c['role-changed']} role changed` +
          (result.ticketId ? `; ticket ${result.ticketId}` : ''),
      );
      if (c.new + c.unmanaged > 0) info(`classify them: patchctl inventory unclassified --client ${result.clientId}`);
    },
  });
}
