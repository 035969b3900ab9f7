import { Command } from 'commander';
import { z } from 'zod';
import { signOffExceptionUpdate } from '../../workflows/exception/messages';
import { signApproval, signingKeyFile } from '../approval-signing';
import { nextStep, settledStatus, withException } from '../exception-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  as: z.email({ message: 'must be the client owner e-mail named in policy' }),
  comment: z.string().max(500).optional(),
  key: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export function exceptionSignoffCommand(): Command {
  return new Command('signoff')
    .description("sign off an exception as the client's owner (the first of its two approvals)")
    .argument('<id>', 'exception id (CLIENT/ID)')
    .requiredOption('--as <who>', 'your identity: the client owner named in policy')
    .option('--comment <text>', 'note recorded with the sign-off')
    .option('--key <file>', 'sign with your Ed25519 key (default: PATCHCTL_SIGNING_KEY_FILE)')
    .option('--json', 'print {"ref","status","pending","next"} as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const { ref, status } = await withException(id, async (handle, _client, target) => {
        const keyFile = signingKeyFile(opts.key);
        const signature = keyFile ? signApproval(keyFile, { workflowId: handle.workflowId, subject: target.exceptionId, decision: 'signoff', by: opts.as }) : undefined;
        await handle.executeUpdate(signOffExceptionUpdate, { args: [{ by: opts.as, comment: opts.comment, signature }] });
        return { ref: target.ref, status: await settledStatus(handle, (s) => s.pending?.step !== 'signoff', 5_000) };
      });
      const next = nextStep(ref, status);
      if (opts.json) printJson({ ref, signedOffBy: opts.as, status: status.status, pending: status.pending ?? null, next });
      else info(`signed off: ${ref} by ${opts.as}\n${next}`);
    });
}
