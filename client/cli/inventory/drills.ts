import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { info, printJson, printTable } from '../output';
import { withInventoryStore } from './db-command';

export function inventoryDrillsCommand(): Command {
  return defineCommand({
    name: 'drills',
    description: "the client's restore drills, newest first: which critical system, isolated copy or restore plan, and whether it worked",
    options: { client: clientOption(), json: jsonOption('print {"clientId","drills":[…]} as one JSON document') },
    run: async (opts) => {
      const { listRestoreDrills } = await import('../../../activities/store/restore-drill-store.js');
      const drills = await withInventoryStore(opts.client, (db) => listRestoreDrills(db, opts.client));
      if (opts.json) {
        printJson({ clientId: opts.client, drills });
        return;
      }
      if (drills.length === 0) {
        info(`${opts.client}: no restore drill yet; set restoreDrills in its policy, or run one now with \`patchctl schedule trigger restore-drill-${opts.client}\``);
        return;
      }
      printTable(['when', 'hostname', 'mode', 'result', 'snapshot', 'detail'], drills.map((d) => [d.drilledAt, d.hostname, d.mode, d.ok ? 'ok' : 'FAILED', d.snapshotId, d.detail]));
    },
  });
}
