import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

export function evidenceExportCommand(): Command {
  return defineCommand({
    name: 'export',
    description: 'write the evidence bundle of a cycle: histories of the cycle and all its children, per-asset timeline, decisions, exceptions, summary, signed manifest',
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: {
      out: option('--out <dir|file.zip>', 'new or empty directory for the bundle, or a new FILE.zip (files 0600, folders 0700: it holds decrypted histories)', ({ z }) => z.string().min(1, 'must name a directory or a .zip file'), { required: true }),
      json: jsonOption('print what was written as one JSON document'),
    },
    run: async (opts, id: string) => {
      const [{ createPool }, { cycleWorkflowIdFrom }, keys, { exportCycleEvidence }, { resolveDatabaseUrl }, { resolveTemporalTarget, withClient }, { shownCycleId }, { temporalHistorySource }] = await Promise.all([
        import('../../../activities/store/pool.js'),
        import('../../use-cases/cycle-target.js'),
        import('../../../activities/evidence/bundle-keys.js'),
        import('../../../activities/evidence/export-cycle.js'),
        import('../../connection/stack.js'),
        import('../../connection/temporal-connection.js'),
        import('../../ids.js'),
        import('../../../workers/temporal-history-source.js'),
      ]);
      const cycleId = cycleWorkflowIdFrom(id);
      const signingKey = keys.evidenceSigningKey();
      const target = keys.prepareBundleTarget(opts.out);
      const dir = target.dir;
      const temporal = resolveTemporalTarget();
      const databaseUrl = resolveDatabaseUrl();
      if (!signingKey) process.stderr.write(`warning: ${keys.KEY_FILE_VARIABLE} is not set: the bundle gets no manifest.sig: \`evidence verify\` will say it is not signed (\`--allow-unsigned\` checks its hashes only)\n`);
      const db = createPool(databaseUrl, 1);
      try {
        const exported = await withClient(temporal, (client) =>
          exportCycleEvidence({ histories: temporalHistorySource(client), db, cycleId, dir, signingKey, progress: (line) => process.stderr.write(`evidence: ${line}\n`) }),
        );
        const result = { ...exported, dir: keys.finishBundleTarget(target) };
        const { manifest: _manifest, ...doc } = result;
        if (opts.json) printJson(doc);
        else {
          info(`exported ${shownCycleId(cycleId)} to ${result.dir}`);
          info(`  ${result.histories} histories (${result.events} events), ${result.assets} assets / ${result.timelineEntries} timeline entries, ${result.decisions} decisions, ${result.exceptions} exceptions`);
          info(`  ${result.files} files in manifest.json${result.signed ? ', signed (manifest.sig)' : ', NOT signed'}`);
        }
      } finally {
        keys.abandonBundleTarget(target);
        await db.end();
      }
    },
  });
}
