import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption, keyOption, namedActorOption, reasonOption } from '../fragments';
import { info, printJson } from '../output';
import { dateOption } from './date-option';
import { nextStep } from './exception-view';

export function exceptionRenewCommand(): Command {
  return defineCommand({
    name: 'renew',
    description: 'ask to extend an active exception: it needs a new sign-off and approval; the current end holds meanwhile',
    args: [['<id>', 'exception id (CLIENT/ID)']],
    options: {
      until: dateOption('--until <date>', 'new expiry (deferral) or review date (isolated lane)', { required: true }),
      reason: reasonOption('why it is still needed'),
      as: namedActorOption('who asks: the requester, the client owner or an approver'),
      key: keyOption('the renewal request (it binds the new date)'),
      json: jsonOption('print {"ref","status","until","pending","next"} as one JSON document'),
    },
    run: async (opts, id: string) => {
      const { decideException } = await import('../../use-cases/decide.js');
      const { ref, status } = await decideException(id, { kind: 'exception-renew', by: opts.as, until: opts.until, reason: opts.reason }, opts.key);
      const next = nextStep(ref, status);
      if (opts.json) printJson({ ref, until: opts.until, status: status.status, pending: status.pending ?? null, next });
      else info(`renewal to ${opts.until} requested for ${ref}\n${next}`);
    },
  });
}
