import { Command } from 'commander';
import { z } from 'zod';
import { evidenceSigningKey, KEY_FILE_VARIABLE, prepareBundleDir } from '../../activities/evidence/bundle-keys';
import { exportHipaaEvidence } from '../../activities/evidence/hipaa-bundle';
import { getClient } from '../../activities/store/client-store';
import { createPool } from '../../activities/store/pool';
import { notFound } from '../errors';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { resolveDatabaseUrl } from '../stack';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'must be a real calendar date');

const options = z
  .object({
    client: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id'),
    from: day,
    to: day,
    out: z.string().min(1, 'must name a directory'),
    json: z.boolean().optional(),
  })
  .refine((o) => o.from <= o.to, { path: ['to'], message: 'must not be before --from' });

export function evidenceHipaaCommand(): Command {
  return new Command('hipaa')
    .description("the playbook's HIPAA-aligned bundle for a client and period: ePHI asset inventory, risk-based prioritization log, patch evidence chain, compensating controls register, summary, signed manifest")
    .requiredOption('--client <id>', 'client id')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (UTC)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (UTC), included')
    .requiredOption('--out <dir>', 'new or empty directory for the bundle')
    .option('--json', 'print what was written as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const signingKey = evidenceSigningKey();
      const db = createPool(resolveDatabaseUrl(), 1);
      try {
        if (!(await getClient(db, opts.client))) throw notFound(`no client "${opts.client}" in the patchctl database`, 'import its inventory first with `patchctl inventory import FILE --client ID`');
        const dir = prepareBundleDir(opts.out);
        if (!signingKey) process.stderr.write(`warning: ${KEY_FILE_VARIABLE} is not set: the bundle gets no manifest.sig\n`);
        const result = await exportHipaaEvidence({ db, clientId: opts.client, from: opts.from, to: opts.to, dir, signingKey });
        const { manifest: _manifest, ...doc } = result;
        if (opts.json) printJson(doc);
        else {
          info(`exported the HIPAA bundle of ${opts.client} for ${opts.from} to ${opts.to} to ${dir}`);
          info(`  ${result.ephiAssets} ePHI assets, ${result.cycles.length} cycles (${result.riskRows} risk log rows), ${result.evidenceEvents} evidence chain events, ${result.controls} exceptions`);
          info(`  ${result.manifest.files.length} files in manifest.json${result.signed ? ', signed (manifest.sig)' : ', NOT signed'}`);
        }
      } finally {
        await db.end();
      }
    });
}
