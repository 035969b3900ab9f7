import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';
import { requiredMonthOption } from './month-option';

/**
 * The formats for the help text and the schema, without loading the report builders (fflate, echarts,
 * puppeteer) for `--help`; a unit test keeps them equal to REPORT_FORMATS of activities/reporting.
 */
export const REPORT_FORMAT_NAMES = ['html', 'pdf', 'csv', 'json'] as const;

export function reportMonthlyCommand(): Command {
  return defineCommand({
    name: 'monthly',
    description: "a client's monthly report as of the month's end: compliance by tier and by OS, exceptions, deferral aging, time-to-remediate vs SLA, failure rate, rollbacks; HTML with charts, PDF, CSV, JSON, hashed and signed",
    options: {
      client: clientOption(),
      month: requiredMonthOption('the month (figures as of its last day, UTC)'),
      format: option('--format <format>', `only this format: ${REPORT_FORMAT_NAMES.join(' | ')} (default: all)`, ({ z }) =>
        z.enum(REPORT_FORMAT_NAMES, { message: `must be one of ${REPORT_FORMAT_NAMES.join(', ')}` }),
      ),
      out: option('--out <path>', 'directory for the bundle, or a .zip file (default .patchctl/reports/<client>/<month>/)', ({ z }) => z.string().min(1, 'must name a directory or a .zip file')),
      json: jsonOption('print what was written as one JSON document'),
    },
    run: async (opts) => {
      const [{ loadPolicy }, { produceMonthlyReport }, { migrateUp }, { createPool }, { evidenceSigningKey, KEY_FILE_VARIABLE }, { notFound }, { resolveDatabaseUrl }] = await Promise.all([
        import('../../use-cases/policy.js'),
        import('../../../activities/reporting/monthly-report-use-case.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('../../../activities/evidence/bundle-keys.js'),
        import('../../errors.js'),
        import('../../connection/stack.js'),
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
        const result = await produceMonthlyReport({ db, policy, clientId: opts.client, month: opts.month, formats: opts.format ? [opts.format] : undefined, out: opts.out, signingKey });
        if (result.pdf && !result.pdf.ok) process.stderr.write(`warning: ${result.pdf.reason}\n`);
        if (!signingKey) process.stderr.write(`warning: ${KEY_FILE_VARIABLE} is not set: the report gets no manifest.sig\n`);
        if (opts.json) printJson({ clientId: opts.client, month: opts.month, path: result.dir, files: result.files, signed: result.signed, pdf: result.pdf ?? null, manifestSha256: result.manifestSha256 });
        else {
          info(`monthly report of ${opts.client} for ${opts.month} (as of its last day) written to ${result.dir}`);
          info(`  ${result.files.join(', ')} + manifest.json${result.signed ? ' + manifest.sig' : ''} (sha256 ${result.manifestSha256.slice(0, 16)}…)`);
        }
      } finally {
        await db.end();
      }
    },
  });
}
