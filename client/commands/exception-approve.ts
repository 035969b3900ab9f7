import { Command } from 'commander';
import { z } from 'zod';
import { approveExceptionUpdate } from '../../workflows/exception/messages';
import { signApproval, signingKeyFile } from '../approval-signing';
import { nextStep, settledStatus, withException } from '../exception-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  as: z.email({ message: 'must be an exception approver e-mail named in policy' }),
  comment: z.string().max(500).optional(),
  key: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export function exceptionApproveCommand(): Command {
  return new Command('approve')
    .description('approve a signed-off exception for the MSP (only approvers named in policy; never the requester); it becomes active')
    .argument('<id>', 'exception id (CLIENT/ID)')
    .requiredOption('--as <who>', 'your approver identity as named in policy')
    .option('--comment <text>', 'note recorded with the approval')
    .option('--key <file>', 'sign with your Ed25519 key (default: PATCHCTL_SIGNING_KEY_FILE)')
    .option('--json', 'print {"ref","status","approvedBy","next"} as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const { ref, status } = await withException(id, async (handle, _client, target) => {
        const keyFile = signingKeyFile(opts.key);
        const signature = keyFile ? signApproval(keyFile, { workflowId: handle.workflowId, subject: target.exceptionId, decision: 'approve', by: opts.as }) : undefined;
        await handle.executeUpdate(approveExceptionUpdate, { args: [{ by: opts.as, comment: opts.comment, signature }] });
        // Approved → active (or renewed) once the workflow has recorded it in the register.
        return { ref: target.ref, status: await settledStatus(handle, (s) => s.pending === undefined && s.status !== 'signed-off', 5_000) };
      });
      const next = nextStep(ref, status);
      if (opts.json) printJson({ ref, approvedBy: opts.as, status: status.status, expiresAt: status.expiresAt ?? null, reviewAt: status.reviewAt ?? null, next });
      else info(`approved: ${ref} by ${opts.as}\n${next}`);
    });
}
