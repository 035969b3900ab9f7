import { Command } from 'commander';
import { z } from 'zod';
import { revokeExceptionUpdate } from '../../workflows/exception/messages';
import { withException } from '../exception-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  as: z.string().trim().min(1, 'must name who revokes it'),
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(1000),
  json: z.boolean().optional(),
});

export function exceptionRevokeCommand(): Command {
  return new Command('revoke')
    .description('end an exception now: its assets are back in scope of the next cycle (the requester, the client owner or an approver)')
    .argument('<id>', 'exception id (CLIENT/ID)')
    .requiredOption('--as <who>', 'who revokes it: the requester, the client owner or an approver')
    .requiredOption('--reason <text>', 'why, recorded in the evidence and on the ticket')
    .option('--json', 'print {"ref","status"} as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const { ref, result } = await withException(id, async (handle, _client, target) => ({
        ref: target.ref,
        result: await handle.executeUpdate(revokeExceptionUpdate, { args: [{ by: opts.as, reason: opts.reason }] }),
      }));
      if (opts.json) printJson({ ref, revokedBy: opts.as, status: result.status });
      else info(`revoked: ${ref} by ${opts.as}; its assets are back in scope of the next cycle`);
    });
}
