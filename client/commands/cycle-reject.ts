import { Command } from 'commander';
import { z } from 'zod';
import { rejectPromotionUpdate } from '../../workflows/messages';
import { withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  as: z.email({ message: 'must be the approver e-mail named in policy' }),
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)'),
  json: z.boolean().optional(),
});

export function cycleRejectCommand(): Command {
  return new Command('reject')
    .description('reject the pending promotion: the cycle rolls back every ring it touched')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .requiredOption('--as <who>', 'your approver identity as named in policy')
    .requiredOption('--reason <text>', 'why, recorded in the evidence')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const result = await withCycle(id, (handle) => handle.executeUpdate(rejectPromotionUpdate, { args: [{ approver: opts.as, reason: opts.reason }] }));
      if (opts.json) printJson({ cycleId: id, ...result });
      else info(`rejected: ${id} (${result.next})`);
    });
}
