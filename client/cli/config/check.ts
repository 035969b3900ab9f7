import type { Command } from 'commander';
import type { PatchPolicy } from '../../../config/policy-schema';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { info, printJson } from '../output';

type Modules = { duration: typeof import('../../../config/duration'); schema: typeof import('../../../config/policy-schema') };

function summary(policy: PatchPolicy, file: string, { duration: { formatDuration }, schema: { ASSET_CLASSES, SEVERITIES } }: Modules) {
  const { canary, pilot, production } = policy.rings;
  return {
    ok: true as const,
    file,
    clients: policy.clients.map((c) => ({ id: c.id, name: c.name, timezone: c.timezone, adapters: c.adapters })),
    rings: {
      canary: { size: canary.size, soak: formatDuration(canary.soak), failureThreshold: canary.failureThreshold },
      pilot: { share: pilot.share, soak: formatDuration(pilot.soak), failureThreshold: pilot.failureThreshold, approvers: pilot.promotion.approvers },
      production: { soak: formatDuration(production.soak), failureThreshold: production.failureThreshold, approvers: production.promotion.approvers },
    },
    slaCells: ASSET_CLASSES.length * SEVERITIES.length,
  };
}

export function configCheckCommand(): Command {
  return defineCommand({
    name: 'check',
    description: 'validate a policy file and list every problem (default: PATCHCTL_CONFIG, ./patchctl.yaml, the example)',
    args: [['[file]', 'policy file to check']],
    options: { json: jsonOption() },
    run: async (opts, file: string | undefined) => {
      const [{ loadPolicy }, duration, schema] = await Promise.all([
        import('../../../config/load-policy.js'),
        import('../../../config/duration.js'),
        import('../../../config/policy-schema.js'),
      ]);
      // The one loader: a bad or unreadable file throws its PolicyError (exit 2, every problem listed).
      const result = loadPolicy({ file });
      const doc = summary(result.policy, result.file, { duration, schema });
      if (opts.json) {
        printJson(doc);
        return;
      }
      const { canary, pilot, production } = doc.rings;
      info(`policy ok: ${doc.file}`);
      info(`  clients:   ${doc.clients.length} (${doc.clients.map((c) => c.id).join(', ')})`);
      info(`  rings:     canary ${canary.size} assets, soak ${canary.soak} · pilot ${Math.round(pilot.share * 100)} %, soak ${pilot.soak} · production the rest, soak ${production.soak}`);
      info(`  SLA cells: ${doc.slaCells} (${schema.ASSET_CLASSES.join(', ')} × ${schema.SEVERITIES.join(', ')})`);
    },
  });
}
