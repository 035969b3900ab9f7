import { Command } from 'commander';
import { z } from 'zod';
import { createPool } from '../../activities/store/pool';
import { cycleWorkflowIdFrom } from '../cycle-target';
import { evidenceSigningKey, KEY_FILE_VARIABLE, prepareBundleDir } from '../../activities/evidence/bundle-keys';
import { exportCycleEvidence } from '../../activities/evidence/export-cycle';
import { temporalHistorySource } from '../../workers/temporal-history-source';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { resolveDatabaseUrl, resolveTemporalTarget } from '../stack';
import { withClient } from '../temporal-connection';

const options = z.object({ out: z.string().min(1, 'must name a directory'), json: z.boolean().optional() });

export function evidenceExportCommand(): Command {
  return new Command('export')
    .description('write the evidence bundle of a cycle: histories of the cycle and all its children, per-asset timeline, decisions, exceptions, summary, signed manifest')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .requiredOption('--out <dir>', 'new or empty directory for the bundle (zip output is not available: no zip library is installed)')
    .option('--json', 'print what was written as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const cycleId = cycleWorkflowIdFrom(id);
      const signingKey = evidenceSigningKey();
      const dir = prepareBundleDir(opts.out);
      const target = resolveTemporalTarget();
      const databaseUrl = resolveDatabaseUrl();
      if (!signingKey) process.stderr.write(`warning: ${KEY_FILE_VARIABLE} is not set: the bundle gets no manifest.sig: \`evidence verify\` will say it is not signed (\`--allow-unsigned\` checks its hashes only)\n`);
      const db = createPool(databaseUrl, 1);
      try {
        const result = await withClient(target, (client) =>
          exportCycleEvidence({ histories: temporalHistorySource(client), db, cycleId, dir, signingKey, progress: (line) => process.stderr.write(`evidence: ${line}\n`) }),
        );
        const { manifest: _manifest, ...doc } = result;
        if (opts.json) printJson(doc);
        else {
          info(`exported ${cycleId} to ${dir}`);
          info(`  ${result.histories} histories (${result.events} events), ${result.assets} assets / ${result.timelineEntries} timeline entries, ${result.decisions} decisions, ${result.exceptions} exceptions`);
          info(`  ${result.files} files in manifest.json${result.signed ? ', signed (manifest.sig)' : ', NOT signed'}`);
        }
      } finally {
        await db.end();
      }
    });
}
