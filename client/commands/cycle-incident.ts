import { Command } from 'commander';
import { z } from 'zod';
import { incidentSignal } from '../../workflows/cycle/messages';
import { actor, withCycle } from '../cycle-target';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({
  summary: z.string().trim().min(3, 'must describe the incident (at least 3 characters)').max(500),
  as: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

export function cycleIncidentCommand(): Command {
  return new Command('incident')
    .description('report an incident: the current ring fails its gate and waits for a decision')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .requiredOption('--summary <text>', 'what went wrong')
    .option('--as <who>', 'who reports it (default: PATCHCTL_USER or your login)')
    .option('--json', 'print the result as one JSON document')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      await withCycle(id, (handle) => handle.signal(incidentSignal, { summary: opts.summary, reportedBy: actor(opts.as) }));
      if (opts.json) printJson({ cycleId: id, reported: true });
      else info(`incident reported on ${id}`);
    });
}
