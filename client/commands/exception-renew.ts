import { Command } from 'commander';
import { z } from 'zod';
import { renewExceptionUpdate } from '../../workflows/exception/messages';
import { DATE_HELP, dateOption, nextStep, settledStatus, withException } from '../exception-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  until: dateOption(),
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(1000),
  as: z.string().trim().min(1, 'must name who asks for the renewal'),
  json: z.boolean().optional(),
});

export function exceptionRenewCommand(): Command {
  return new Command('renew')
    .description('ask to extend an active exception: it needs a new sign-off and approval; the current end holds meanwhile')
    .argument('<id>', 'exception id (CLIENT/ID)')
    .requiredOption('--until <date>', `new expiry (deferral) or review date (isolated lane): ${DATE_HELP}`)
    .requiredOption('--reason <text>', 'why it is still needed')
    .requiredOption('--as <who>', 'who asks: the requester, the client owner or an approver')
    .option('--json', 'print {"ref","status","until","pending","next"} as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const { ref, status } = await withException(id, async (handle, _client, target) => {
        await handle.executeUpdate(renewExceptionUpdate, { args: [{ by: opts.as, until: opts.until, reason: opts.reason }] });
        return { ref: target.ref, status: await settledStatus(handle, (s) => s.pending !== undefined, 5_000) };
      });
      const next = nextStep(ref, status);
      if (opts.json) printJson({ ref, until: opts.until, status: status.status, pending: status.pending ?? null, next });
      else info(`renewal to ${opts.until} requested for ${ref}\n${next}`);
    });
}
