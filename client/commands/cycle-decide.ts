import { Command } from 'commander';
import { z } from 'zod';
import { RINGS } from '../../config/policy-schema';
import { gateDecisionUpdate } from '../../workflows/cycle/messages';
import { signApproval, signingKeyFile } from '../approval-signing';
import { withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  ring: z.enum(RINGS),
  decision: z.enum(['rollback', 'retry-failed', 'override']),
  as: z.email({ message: 'must be the approver e-mail named in policy' }),
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)'),
  key: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export function cycleDecideCommand(): Command {
  return new Command('decide')
    .description('decide on a breached gate: rollback, retry-failed (redeploy only the failed assets) or override')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .requiredOption('--ring <ring>', 'ring whose gate breached: canary | pilot | production')
    .requiredOption('--decision <decision>', 'rollback | retry-failed | override')
    .requiredOption('--as <who>', 'your approver identity as named in policy')
    .requiredOption('--reason <text>', 'why, recorded in the evidence')
    .option('--key <file>', 'sign the decision with your Ed25519 key (default: PATCHCTL_SIGNING_KEY_FILE)')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const keyFile = signingKeyFile(opts.key);
      const result = await withCycle(id, (handle) => {
        const signature = keyFile ? signApproval(keyFile, { workflowId: handle.workflowId, subject: opts.ring, decision: opts.decision, by: opts.as }) : undefined;
        return handle.executeUpdate(gateDecisionUpdate, { args: [{ ring: opts.ring, decision: opts.decision, by: opts.as, reason: opts.reason, signature }] });
      });
      if (opts.json) printJson({ cycleId: id, ...result });
      else info(`decision recorded: ${id} ${opts.ring} → ${opts.decision} (${result.next})`);
    });
}
