import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { clientOption, jsonOption } from '../fragments';
import { option, type SchemaKit } from '../option-spec';
import { info, printJson } from '../output';

const day = ({ z }: SchemaKit) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'must be a real calendar date');

export function evidenceHipaaCommand(): Command {
  return defineCommand({
    name: 'hipaa',
    description: "the playbook's HIPAA-aligned bundle for a client and period: ePHI asset inventory, risk-based prioritization log, patch evidence chain, compensating controls register, summary, signed manifest",
    options: {
      client: clientOption('client id'),
      from: option('--from <date>', 'first day, YYYY-MM-DD (UTC)', day, { required: true }),
      to: option('--to <date>', 'last day, YYYY-MM-DD (UTC), included', day, { required: true }),
      out: option('--out <dir|file.zip>', 'new or empty directory for the bundle, or a new FILE.zip', ({ z }) => z.string().min(1, 'must name a directory or a .zip file'), { required: true }),
      json: jsonOption('print what was written as one JSON document'),
    },
    check: (o) => (o.from > o.to ? [{ key: 'to', message: 'must not be before --from' }] : []),
    run: async (opts) => {
      const [{ createPool }, { abandonBundleTarget, evidenceSigningKey, finishBundleTarget, KEY_FILE_VARIABLE, prepareBundleTarget }, { exportHipaaEvidence }, { notFound }, { resolveDatabaseUrl }, { loadPolicy }] = await Promise.all([
        import('../../../activities/store/pool.js'),
        import('../../../activities/evidence/bundle-keys.js'),
        import('../../../activities/evidence/hipaa-bundle.js'),
        import('../../errors.js'),
        import('../../connection/stack.js'),
        import('../../use-cases/policy.js'),
      ]);
      const { policy } = loadPolicy();
      const signingKey = evidenceSigningKey();
      const db = createPool(resolveDatabaseUrl(), 1);
      try {
        const known = await db.query('SELECT 1 FROM clients WHERE id = $1', [opts.client]);
        if (known.rowCount === 0) throw notFound(`no client "${opts.client}" in the patchctl database`, 'import its inventory first with `patchctl inventory import FILE --client ID`');
        const target = prepareBundleTarget(opts.out);
        if (!signingKey) process.stderr.write(`warning: ${KEY_FILE_VARIABLE} is not set: the bundle gets no manifest.sig\n`);
        let result;
        try {
          const exported = await exportHipaaEvidence({ db, clientId: opts.client, from: opts.from, to: opts.to, dir: target.dir, signingKey, policy });
          result = { ...exported, dir: finishBundleTarget(target) };
        } finally {
          abandonBundleTarget(target);
        }
        const dir = result.dir;
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
    },
  });
}
