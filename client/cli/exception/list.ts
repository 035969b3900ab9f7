import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientFilterOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson, printTable } from '../output';
import { exceptionEnd } from './exception-view';

function assets(hostnames: readonly string[]): string {
  return hostnames.length <= 3 ? hostnames.join(', ') : `${hostnames.slice(0, 3).join(', ')} +${hostnames.length - 3}`;
}

export function exceptionListCommand(): Command {
  return defineCommand({
    name: 'list',
    description: 'list the exception register (deferrals and isolated lanes), soonest end first',
    options: {
      client: clientFilterOption(),
      active: option('--active', 'only exceptions keeping assets out of cycles now', ({ z }) => z.boolean()),
      expiring: option('--expiring <days>', 'only active exceptions whose expiry or review date falls within this many days', ({ z }) =>
        z.coerce.number({ message: 'must be a number of days' }).int('must be a whole number of days').min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days'),
      ),
      json: jsonOption('print {"exceptions":[…]} as one JSON document'),
    },
    run: async (opts) => {
      const [{ listExceptions }, { migrateUp }, { createPool }, { resolveDatabaseUrl }] = await Promise.all([
        import('../../../activities/store/exception-store.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('../../connection/stack.js'),
      ]);
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 1);
      let rows;
      try {
        rows = await listExceptions(db, { clientId: opts.client, active: opts.active, expiringWithinDays: opts.expiring });
      } finally {
        await db.end();
      }
      const exceptions = rows.map((row) => ({ ref: `${row.clientId}/${row.id}`, ...row }));
      if (opts.json) {
        printJson({ exceptions });
        return;
      }
      if (exceptions.length === 0) {
        info(`no exceptions${opts.expiring ? ` ending within ${opts.expiring} days` : opts.active ? ' active' : ''}${opts.client ? ` for ${opts.client}` : ''}`);
        return;
      }
      printTable(
        ['id', 'client', 'kind', 'status', 'assets', 'expires/review', 'ticket', 'approved by'],
        exceptions.map((e) => [e.ref, e.clientId, e.kind, e.status, assets(e.hostnames), exceptionEnd(e), e.ticketId, e.approvedBy]),
      );
      info(`${exceptions.length} exception${exceptions.length === 1 ? '' : 's'}`);
    },
  });
}
