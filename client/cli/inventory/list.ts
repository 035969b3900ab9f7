import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientFilterOption, jsonOption } from '../fragments';
import { info, printJson, printTable } from '../output';

export function inventoryListCommand(): Command {
  return defineCommand({
    name: 'list',
    description: 'list the assets in inventory, by client and hostname',
    options: { client: clientFilterOption(), json: jsonOption('print {"assets":[…]} as one JSON document') },
    run: async (opts) => {
      const [{ listAssets, UnknownClientError }, { migrateUp }, { createPool }, { resolveDatabaseUrl }, { notFound }] = await Promise.all([
        import('../../../activities/store/inventory-store.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('../../connection/stack.js'),
        import('../../errors.js'),
      ]);
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
    },
  });
}
