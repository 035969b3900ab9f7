import { Command } from 'commander';
import { z } from 'zod';
import { listExceptions, type ExceptionRow } from '../../activities/store/exception-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { exceptionEnd } from '../exception-target';
import { parseOptions } from '../options';
import { info, printJson, printTable } from '../output';
import { resolveDatabaseUrl } from '../stack';

const options = z.object({
  client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy').optional(),
  active: z.boolean().optional(),
  expiring: z.coerce.number({ message: 'must be a number of days' }).int('must be a whole number of days').min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days').optional(),
  json: z.boolean().optional(),
});

function assets(hostnames: readonly string[]): string {
  return hostnames.length <= 3 ? hostnames.join(', ') : `${hostnames.slice(0, 3).join(', ')} +${hostnames.length - 3}`;
}

export function exceptionListCommand(): Command {
  return new Command('list')
    .description('list the exception register (deferrals and isolated lanes), soonest end first')
    .option('--client <id>', 'only this client')
    .option('--active', 'only exceptions keeping assets out of cycles now')
    .option('--expiring <days>', 'only active exceptions whose expiry or review date falls within this many days')
    .option('--json', 'print {"exceptions":[…]} as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 1);
      let rows: ExceptionRow[];
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
    });
}
