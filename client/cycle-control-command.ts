import { Command } from 'commander';
import { z } from 'zod';
import type { SignalDefinition } from '@temporalio/client';
import type { PauseInput } from '../workflows/cycle/messages';
import { actor, withCycle } from './cycle-target';
import { parseOptions } from './options';
import { info, printJson } from './output';

const options = z.object({ as: z.string().min(1).optional(), reason: z.string().max(500).optional(), json: z.boolean().optional() });

/** `cycle pause` and `cycle resume` differ only in the signal they send. */
export function cycleControlCommand(name: string, description: string, signal: SignalDefinition<[PauseInput]>): Command {
  return new Command(name)
    .description(description)
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .option('--as <who>', 'who sends it (default: PATCHCTL_USER or your login)')
    .option('--reason <text>', 'why, recorded in the log')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      await withCycle(id, (handle) => handle.signal(signal, { by: actor(opts.as), reason: opts.reason }));
      if (opts.json) printJson({ cycleId: id, signal: name });
      else info(`${name} sent to ${id}`);
    });
}
