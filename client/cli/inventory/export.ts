import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';
import { requiredMonthOption } from '../report/month-option';

export function inventoryExportCommand(): Command {
  return defineCommand({
    name: 'export',
    description: 'the date-stamped monthly inventory of a client (CSV and JSON with the playbook\'s field labels, e.g. "ePHI system: yes/no"), hashed and signed',
    options: {
      client: clientOption(),
      month: requiredMonthOption('the month (the inventory as of its last day, UTC)'),
      out: option('--out <dir>', 'directory (default .patchctl/exports/<client>/<month>/)', ({ z }) => z.string().min(1, 'must name a directory')),
      json: jsonOption('print what was written as one JSON document'),
    },
    run: async (opts) => {
      const [{ resolve }, { exportInventory, inventoryDir }, { patchctlHome }, { migrateUp }, { createPool }, { evidenceSigningKey, KEY_FILE_VARIABLE }, { resolveDatabaseUrl }] = await Promise.all([
        import('node:path'),
        import('../../../activities/reporting/inventory-export.js'),
        import('../../../activities/reporting/report-bundle.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('../../../activities/evidence/bundle-keys.js'),
        import('../../connection/stack.js'),
      ]);
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
    },
  });
}
