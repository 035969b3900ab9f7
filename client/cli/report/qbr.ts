import type { Command } from 'commander';
import { QUARTER_PATTERN } from '../../../domain/reporting/qbr';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

/** For the help text and the schema without loading echarts and puppeteer; equal to QBR_FORMATS (unit test). */
export const QBR_FORMAT_NAMES = ['html', 'pdf', 'json'] as const;

export function reportQbrCommand(): Command {
  return defineCommand({
    name: 'qbr',
    description: "a client's quarterly business review summary: compliance trend over the quarter (chart), active exceptions with expiry, each month's top risks reduced; HTML, PDF, JSON, hashed and signed",
    options: {
      client: clientOption(),
      quarter: option('--quarter <YYYY-Qn>', 'the quarter, e.g. 2026-Q4', ({ z }) => z.string().regex(QUARTER_PATTERN, 'must be a quarter YYYY-Qn (n = 1 to 4)'), { required: true }),
      format: option('--format <format>', `only this format: ${QBR_FORMAT_NAMES.join(' | ')} (default: all)`, ({ z }) => z.enum(QBR_FORMAT_NAMES, { message: `must be one of ${QBR_FORMAT_NAMES.join(', ')}` })),
      out: option('--out <dir>', 'directory for the summary (default .patchctl/reports/<client>/<quarter>/)', ({ z }) => z.string().min(1, 'must name a directory')),
      json: jsonOption('print what was written as one JSON document'),
    },
    run: async (opts) => {
      const [{ loadPolicy }, { buildQbrSummary, writeQbrBundle }, { patchctlHome, reportDir }, { migrateUp }, { createPool }, { evidenceSigningKey }, { notFound }, { resolveDatabaseUrl }, { resolve }] = await Promise.all([
        import('../../use-cases/policy.js'),
        import('../../../activities/reporting/qbr.js'),
        import('../../../activities/reporting/report-bundle.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('../../../activities/evidence/bundle-keys.js'),
        import('../../errors.js'),
        import('../../connection/stack.js'),
        import('node:path'),
      ]);
      const { policy, file } = loadPolicy();
      if (!policy.clients.some((c) => c.id === opts.client)) {
        throw notFound(`client "${opts.client}" is not in ${file}`, `known clients: ${policy.clients.map((c) => c.id).join(', ')}`);
      }
      const signingKey = evidenceSigningKey();
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 2);
      try {
        const summary = await buildQbrSummary({ db, policy, clientId: opts.client, quarter: opts.quarter });
        const dir = opts.out ? resolve(opts.out) : reportDir(patchctlHome(), opts.client, opts.quarter);
        const written = await writeQbrBundle(summary, dir, { formats: opts.format ? [opts.format] : undefined, signingKey });
        if (written.pdf && !written.pdf.ok) process.stderr.write(`warning: ${written.pdf.reason}\n`);
        if (opts.json) printJson({ clientId: opts.client, quarter: opts.quarter, path: written.dir, files: written.files, signed: written.signed, months: summary.months.map((m) => m.month), manifestSha256: written.manifestSha256 });
        else info(`QBR summary of ${opts.client} for ${opts.quarter} (${summary.months.map((m) => m.month).join(', ') || 'no month begun'}) written to ${written.dir}: ${written.files.join(', ')} + manifest.json${written.signed ? ' + manifest.sig' : ''}`);
      } finally {
        await db.end();
      }
    },
  });
}
