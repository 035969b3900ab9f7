import { Command } from 'commander';
import { z } from 'zod';
import { RINGS } from '../../config/policy-schema';
import { approveRingUpdate } from '../../workflows/cycle/messages';
import { signApproval, signingKeyFile } from '../approval-signing';
import { withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  ring: z.enum(RINGS.filter((r) => r !== 'canary') as ['pilot', 'production']),
  as: z.email({ message: 'must be the approver e-mail named in policy' }),
  comment: z.string().max(500).optional(),
  key: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export function cycleApproveCommand(): Command {
  return new Command('approve')
    .description('approve the promotion of a cycle to the next ring (only approvers named in policy; never the requester)')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .requiredOption('--ring <ring>', 'ring to promote to: pilot | production')
    .requiredOption('--as <who>', 'your approver identity as named in policy')
    .option('--comment <text>', 'note recorded with the approval')
    .option('--key <file>', 'sign the approval with your Ed25519 key (default: PATCHCTL_SIGNING_KEY_FILE)')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const keyFile = signingKeyFile(opts.key);
      const result = await withCycle(id, (handle) => {
        const signature = keyFile ? signApproval(keyFile, { workflowId: handle.workflowId, subject: opts.ring, decision: 'approve', by: opts.as }) : undefined;
        return handle.executeUpdate(approveRingUpdate, { args: [{ ring: opts.ring, approver: opts.as, comment: opts.comment, signature }] });
      });
      if (opts.json) printJson({ cycleId: id, ...result });
      else info(`approved: ${id} → ${result.ring} (${result.next})`);
    });
}
