import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { info, printJson, printTable } from '../output';
import { withInventoryStore } from './db-command';

export function inventoryUnclassifiedCommand(): Command {
  return defineCommand({
    name: 'unclassified',
    description: 'devices discovery found that have no asset class and no ePHI answer; they block the compliance claim until imported with both',
    options: { client: clientOption(), json: jsonOption('print {"clientId","devices":[…]} as one JSON document') },
    run: async (opts) => {
      const { unclassifiedDevices } = await import('../../../activities/store/discovery-store.js');
      const devices = await withInventoryStore(opts.client, (db) => unclassifiedDevices(db, opts.client));
      if (opts.json) {
        printJson({ clientId: opts.client, devices });
        return;
      }
      if (devices.length === 0) {
        info(`${opts.client}: every discovered device is classified`);
        return;
      }
      printTable(
        ['hostname', 'os', 'role', 'seen by', 'RMM', 'first seen', 'last seen', 'missing'],
        devices.map((d) => [d.hostname, d.os ?? '?', d.role ?? '?', d.sources.join(', '), d.rmmManaged ? 'managed' : 'not managed', d.firstSeen, d.lastSeen, d.missing.join(', ')]),
      );
      info(`${devices.length} unclassified device${devices.length === 1 ? '' : 's'}: add them with their asset class and ePHI answer via \`patchctl inventory import FILE --client ${opts.client}\``);
    },
  });
}
