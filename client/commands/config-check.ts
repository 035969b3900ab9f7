import { Command } from 'commander';
import { loadPolicy } from '../../config/load-policy';
import { ASSET_CLASSES, SEVERITIES, type PatchPolicy } from '../../config/policy-schema';
import { formatDuration } from '../../config/duration';
import { info, printJson } from '../output';

function summary(policy: PatchPolicy, file: string) {
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
  return new Command('check')
    .description('validate a policy file and list every problem (default: PATCHCTL_CONFIG, ./patchctl.yaml, the example)')
    .argument('[file]', 'policy file to check')
    .option('--json', 'print the result as one JSON document')
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const result = loadPolicy({ file });
      const doc = summary(result.policy, result.file);
      if (opts.json) {
        printJson(doc);
        return;
      }
      const { canary, pilot, production } = doc.rings;
      info(`policy ok: ${doc.file}`);
      info(`  clients:   ${doc.clients.length} (${doc.clients.map((c) => c.id).join(', ')})`);
      info(`  rings:     canary ${canary.size} assets, soak ${canary.soak} · pilot ${Math.round(pilot.share * 100)} %, soak ${pilot.soak} · production the rest, soak ${production.soak}`);
      info(`  SLA cells: ${doc.slaCells} (${ASSET_CLASSES.join(', ')} × ${SEVERITIES.join(', ')})`);
    });
}
