import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption, keyOption, namedActorOption, reasonOption } from '../fragments';
import { info, printJson } from '../output';

export function exceptionRevokeCommand(): Command {
  return defineCommand({
    name: 'revoke',
    description: 'end an exception now: its assets are back in scope of the next cycle (the requester, the client owner or an approver)',
    args: [['<id>', 'exception id (CLIENT/ID)']],
    options: {
      as: namedActorOption('who revokes it: the requester, the client owner or an approver'),
      reason: reasonOption('why, recorded in the evidence and on the ticket'),
      key: keyOption('the revocation'),
      json: jsonOption('print {"ref","revokedBy","status"} as one JSON document'),
    },
    run: async (opts, id: string) => {
      const { decideException } = await import('../../use-cases/decide.js');
      const { ref } = await decideException(id, { kind: 'exception-revoke', by: opts.as, reason: opts.reason }, opts.key);
      const result = { status: 'revoked' };
      if (opts.json) printJson({ ref, revokedBy: opts.as, status: result.status });
      else info(`revoked: ${ref} by ${opts.as}; its assets are back in scope of the next cycle`);
    },
  });
}
