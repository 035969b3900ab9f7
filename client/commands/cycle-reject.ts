import { Command } from 'commander';
import { z } from 'zod';
import { cycleStatusQuery, rejectPromotionUpdate } from '../../workflows/cycle/messages';
import { signApproval, signingKeyFile } from '../approval-signing';
import { withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  as: z.email({ message: 'must be the approver e-mail named in policy' }),
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)'),
  key: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export function cycleRejectCommand(): Command {
  return new Command('reject')
    .description('reject the pending promotion: the cycle rolls back every ring it touched')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .requiredOption('--as <who>', 'your approver identity as named in policy')
    .requiredOption('--reason <text>', 'why, recorded in the evidence')
    .option('--key <file>', 'sign the rejection with your Ed25519 key (default: PATCHCTL_SIGNING_KEY_FILE)')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const keyFile = signingKeyFile(opts.key);
      const result = await withCycle(id, async (handle) => {
        // The signature names the ring being rejected: the one whose promotion is pending.
        const ring = keyFile ? (await handle.query(cycleStatusQuery)).pending?.ring : undefined;
        const signature = keyFile && ring ? signApproval(keyFile, { workflowId: handle.workflowId, subject: ring, decision: 'reject', by: opts.as }) : undefined;
        return handle.executeUpdate(rejectPromotionUpdate, { args: [{ approver: opts.as, reason: opts.reason, signature }] });
      });
      if (opts.json) printJson({ cycleId: id, ...result });
      else info(`rejected: ${id} (${result.next})`);
    });
}
