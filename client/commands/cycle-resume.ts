import { Command } from 'commander';
import { z } from 'zod';
import { resumeSignal } from '../../workflows/messages';
import { actor, withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({ as: z.string().min(1).optional(), reason: z.string().max(500).optional(), json: z.boolean().optional() });

export function cycleResumeCommand(): Command {
  return new Command('resume')
    .description('resume a paused cycle')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .option('--as <who>', 'who sends it (default: PATCHCTL_USER or your login)')
    .option('--reason <text>', 'why, recorded in the log')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      await withCycle(id, (handle) => handle.signal(resumeSignal, { by: actor(opts.as), reason: opts.reason }));
      if (opts.json) printJson({ cycleId: id, signal: 'resume' });
      else info(`resume sent to ${id}`);
    });
}
