import { Command } from 'commander';
import { z } from 'zod';
import { listAssets, UnknownClientError } from '../../activities/store/inventory-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { notFound } from '../errors';
import { parseOptions } from '../options';
import { info, printJson, printTable } from '../output';
import { resolveDatabaseUrl } from '../stack';

const options = z.object({
  client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy').optional(),
  json: z.boolean().optional(),
});

export function inventoryListCommand(): Command {
  return new Command('list')
    .description('list the assets in inventory, by client and hostname')
    .option('--client <id>', 'only this client')
    .option('--json', 'print {"assets":[…]} as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 1);
      let assets;
      try {
        assets = await listAssets(db, { clientId: opts.client });
      } catch (error) {
        if (error instanceof UnknownClientError) throw notFound(error.message, 'import its inventory with `patchctl inventory import FILE --client ID` first');
        throw error;
      } finally {
        await db.end();
      }
      if (opts.json) {
        printJson({ assets });
        return;
      }
      if (assets.length === 0) {
        info(`no assets${opts.client ? ` for ${opts.client}` : ''} yet; add them with \`patchctl inventory import FILE --client ID\``);
        return;
      }
      // Without --client the same hostname can belong to two clients, so the client is shown too.
      const headers = ['hostname', 'os', 'role', 'class', 'owner', 'location', 'ePHI'];
      const rows = assets.map((a) => [a.hostname, a.os, a.role, a.assetClass, a.owner, a.location, a.ephi ? 'yes' : 'no']);
      if (opts.client) printTable(headers, rows);
      else printTable(['client', ...headers], assets.map((a, i) => [a.clientId, ...(rows[i] ?? [])]));
      info(`${assets.length} asset${assets.length === 1 ? '' : 's'}`);
    });
}
