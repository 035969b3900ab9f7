import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { info, printJson } from '../output';

// Listed here for the help text; activities/store/inventory-csv.ts (REQUIRED_COLUMNS) decides.
export const COLUMNS_HELP = 'hostname,os,role,asset_class,owner,location,ephi';

export function inventoryImportCommand(): Command {
  return defineCommand({
    name: 'import',
    description: "import a client's assets from a CSV file: every row valid and imported, or nothing written",
    args: [['<file>', `CSV with a header row: ${COLUMNS_HELP} and optionally tags,applications (semicolon-separated)`]],
    options: { client: clientOption(), json: jsonOption('print {"client","inserted","updated","total"} as one JSON document') },
    run: async (opts, file: string) => {
      const { importInventoryFile } = (await import('../../use-cases/import-inventory.js'));
      const { counts, total, assets } = await importInventoryFile(file, opts.client);
      if (opts.json) printJson({ client: opts.client, inserted: counts.inserted, updated: counts.updated, total });
      else info(`imported ${assets} assets for ${opts.client}: ${counts.inserted} new, ${counts.updated} updated; ${total} in its inventory`);
    },
  });
}
