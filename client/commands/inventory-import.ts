import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { upsertClients } from '../../activities/store/client-store';
import { parseInventoryCsv, REQUIRED_COLUMNS } from '../../activities/store/inventory-csv';
import { countAssets, importAssets, UnknownClientError } from '../../activities/store/inventory-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { loadPolicy } from '../../config/load-policy';
import { badInput, notFound } from '../errors';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { resolveDatabaseUrl } from '../stack';

const options = z.object({
  client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy'),
  json: z.boolean().optional(),
});

function readInventoryFile(file: string): string {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw badInput(`inventory file ${path} not found`, 'pass the path of a CSV file exported from your RMM or asset register');
  }
  return readFileSync(path, 'utf8');
}

export function inventoryImportCommand(): Command {
  return new Command('import')
    .description("import a client's assets from a CSV file: every row valid and imported, or nothing written")
    .argument('<file>', `CSV with a header row: ${REQUIRED_COLUMNS.join(',')} and optionally tags,applications (semicolon-separated)`)
    .requiredOption('--client <id>', 'client id from the policy')
    .option('--json', 'print {"client","inserted","updated","total"} as one JSON document')
    .action(async (file: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const parsed = parseInventoryCsv(readInventoryFile(file));
      if (!parsed.ok) {
        const count = parsed.problems.length;
        throw badInput(`${file} has ${count} problem${count === 1 ? '' : 's'}; nothing was imported`, 'fix every line listed, then import the file again', parsed.problems);
      }
      const loaded = loadPolicy();

      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 1);
      try {
        // The policy is where clients are defined; the store follows it before assets refer to them.
        await upsertClients(db, loaded.policy.clients);
        let counts;
        try {
          counts = await importAssets(db, opts.client, parsed.assets);
        } catch (error) {
          if (error instanceof UnknownClientError) {
            throw notFound(error.message, `add client "${opts.client}" to ${loaded.file} or pass one of the known client ids`);
          }
          throw error;
        }
        const total = await countAssets(db, { clientId: opts.client });
        if (opts.json) {
          printJson({ client: opts.client, inserted: counts.inserted, updated: counts.updated, total });
        } else {
          info(`imported ${parsed.assets.length} assets for ${opts.client}: ${counts.inserted} new, ${counts.updated} updated; ${total} in its inventory`);
        }
      } finally {
        await db.end();
      }
    });
}
