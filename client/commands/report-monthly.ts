import { Command } from 'commander';
import { z } from 'zod';
import { findPolicyFile, loadPolicyFile } from '../../config/load-policy';
import { produceMonthlyReport } from '../../activities/reporting/monthly-report-use-case';
import { REPORT_FORMATS } from '../../activities/reporting/report-bundle';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { MONTH_PATTERN } from '../../domain/reporting/period';
import { evidenceSigningKey, KEY_FILE_VARIABLE } from '../../activities/evidence/bundle-keys';
import { badInput, notFound } from '../errors';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { resolveDatabaseUrl } from '../connection/stack';

const options = z.object({
  client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy'),
  month: z.string().regex(MONTH_PATTERN, 'must be a month YYYY-MM'),
  format: z.enum(REPORT_FORMATS, { message: `must be one of ${REPORT_FORMATS.join(', ')}` }).optional(),
  out: z.string().min(1, 'must name a directory or a .zip file').optional(),
  json: z.boolean().optional(),
});

export function reportMonthlyCommand(): Command {
  return new Command('monthly')
    .description("a client's monthly report as of the month's end: compliance by tier and by OS, exceptions, deferral aging, time-to-remediate vs SLA, failure rate, rollbacks; HTML with charts, PDF, CSV, JSON, hashed and signed")
    .requiredOption('--client <id>', 'client id')
    .requiredOption('--month <YYYY-MM>', 'the month (figures as of its last day, UTC)')
    .option('--format <format>', `only this format: ${REPORT_FORMATS.join(' | ')} (default: all)`)
    .option('--out <path>', 'directory for the bundle, or a .zip file (default .patchctl/reports/<client>/<month>/)')
    .option('--json', 'print what was written as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const loaded = loadPolicyFile(findPolicyFile(undefined));
      if (!loaded.ok) throw badInput(`policy ${loaded.file} is invalid`, 'run `patchctl config check` and fix what it lists', loaded.problems);
      if (!loaded.policy.clients.some((c) => c.id === opts.client)) {
        throw notFound(`client "${opts.client}" is not in ${loaded.file}`, `known clients: ${loaded.policy.clients.map((c) => c.id).join(', ')}`);
      }
      const signingKey = evidenceSigningKey();
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 2);
      try {
        const result = await produceMonthlyReport({ db, policy: loaded.policy, clientId: opts.client, month: opts.month, formats: opts.format ? [opts.format] : undefined, out: opts.out, signingKey });
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
    });
}
