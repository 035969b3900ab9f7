import { resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { exportInventory, inventoryDir } from '../../activities/reporting/inventory-export';
import { patchctlHome } from '../../activities/reporting/report-bundle';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { MONTH_PATTERN } from '../../domain/reporting/period';
import { evidenceSigningKey, KEY_FILE_VARIABLE } from '../../activities/evidence/bundle-keys';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { resolveDatabaseUrl } from '../connection/stack';

const options = z.object({
  client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy'),
  month: z.string().regex(MONTH_PATTERN, 'must be a month YYYY-MM'),
  out: z.string().min(1, 'must name a directory').optional(),
  json: z.boolean().optional(),
});

export function inventoryExportCommand(): Command {
  return new Command('export')
    .description('the date-stamped monthly inventory of a client (CSV and JSON with the playbook\'s field labels, e.g. "ePHI system: yes/no"), hashed and signed')
    .requiredOption('--client <id>', 'client id')
    .requiredOption('--month <YYYY-MM>', 'the month (the inventory as of its last day, UTC)')
    .option('--out <dir>', 'directory (default .patchctl/exports/<client>/<month>/)')
    .option('--json', 'print what was written as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const signingKey = evidenceSigningKey();
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 1);
      try {
        const dir = opts.out ? resolve(opts.out) : inventoryDir(patchctlHome(), opts.client, opts.month);
        const result = await exportInventory({ db, clientId: opts.client, month: opts.month, dir, signingKey });
        if (!signingKey) process.stderr.write(`warning: ${KEY_FILE_VARIABLE} is not set: the export gets no manifest.sig\n`);
        const { manifest: _manifest, ...doc } = result;
        if (opts.json) printJson(doc);
        else info(`inventory of ${opts.client} as of the end of ${opts.month}: ${result.assets} assets (${result.ephiAssets} ePHI systems) in ${dir} (${result.files.join(', ')}, manifest.json${result.signed ? ', manifest.sig' : ''})`);
      } finally {
        await db.end();
      }
    });
}
