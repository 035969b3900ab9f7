import { Command } from 'commander';
import { z } from 'zod';
import { pauseSignal } from '../../workflows/messages';
import { actor, withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({ as: z.string().min(1).optional(), reason: z.string().max(500).optional(), json: z.boolean().optional() });

export function cyclePauseCommand(): Command {
  return new Command('pause')
    .description('pause a cycle between batches: nothing new is deployed until resume')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .option('--as <who>', 'who sends it (default: PATCHCTL_USER or your login)')
    .option('--reason <text>', 'why, recorded in the log')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      await withCycle(id, (handle) => handle.signal(pauseSignal, { by: actor(opts.as), reason: opts.reason }));
      if (opts.json) printJson({ cycleId: id, signal: 'pause' });
      else info(`pause sent to ${id}`);
    });
}
