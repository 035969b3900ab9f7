import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption, namedActorOption, reasonOption } from '../fragments';
import { info, printJson } from '../output';

export function exceptionRevokeCommand(): Command {
  return defineCommand({
    name: 'revoke',
    description: 'end an exception now: its assets are back in scope of the next cycle (the requester, the client owner or an approver)',
    args: [['<id>', 'exception id (CLIENT/ID)']],
    options: {
      as: namedActorOption('who revokes it: the requester, the client owner or an approver'),
      reason: reasonOption('why, recorded in the evidence and on the ticket'),
      json: jsonOption('print {"ref","revokedBy","status"} as one JSON document'),
    },
    run: async (opts, id: string) => {
      const [{ withException }, { revokeExceptionUpdate }] = await Promise.all([import('../../use-cases/exception-target.js'), import('../../../workflows/exception/messages.js')]);
      const { ref, result } = await withException(id, async (handle, _client, target) => ({
        ref: target.ref,
        result: await handle.executeUpdate(revokeExceptionUpdate, { args: [{ by: opts.as, reason: opts.reason }] }),
      }));
      if (opts.json) printJson({ ref, revokedBy: opts.as, status: result.status });
      else info(`revoked: ${ref} by ${opts.as}; its assets are back in scope of the next cycle`);
    },
  });
}
