import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption, namedActorOption, reasonOption } from '../fragments';
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
      json: jsonOption('print {"ref","status","until","pending","next"} as one JSON document'),
    },
    run: async (opts, id: string) => {
      const [{ withException, settledStatus }, { renewExceptionUpdate }] = await Promise.all([import('../../use-cases/exception-target.js'), import('../../../workflows/exception/messages.js')]);
      const { ref, status } = await withException(id, async (handle, _client, target) => {
        await handle.executeUpdate(renewExceptionUpdate, { args: [{ by: opts.as, until: opts.until, reason: opts.reason }] });
        return { ref: target.ref, status: await settledStatus(handle, (s) => s.pending !== undefined, 5_000) };
      });
      const next = nextStep(ref, status);
      if (opts.json) printJson({ ref, until: opts.until, status: status.status, pending: status.pending ?? null, next });
      else info(`renewal to ${opts.until} requested for ${ref}\n${next}`);
    },
  });
}
