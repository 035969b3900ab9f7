import { Command } from 'commander';
import { z } from 'zod';
import { abortSignal } from '../../workflows/cycle/messages';
import { actor, withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)'),
  as: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export function cycleAbortCommand(): Command {
  return new Command('abort')
    .description('abort a cycle: the running ring stops and every touched ring is rolled back')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .requiredOption('--reason <text>', 'why, recorded in the evidence')
    .option('--as <who>', 'who aborts (default: PATCHCTL_USER or your login)')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      await withCycle(id, (handle) => handle.signal(abortSignal, { reason: opts.reason, by: actor(opts.as) }));
      if (opts.json) printJson({ cycleId: id, aborted: true });
      else info(`abort requested for ${id}; watch the rollback with \`patchctl cycle status ${id} --watch\``);
    });
}
