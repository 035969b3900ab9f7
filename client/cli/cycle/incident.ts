import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { actorOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

export function cycleIncidentCommand(): Command {
  return defineCommand({
    name: 'incident',
    description: 'report an incident: the current ring fails its gate and waits for a decision',
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: {
      summary: option('--summary <text>', 'what went wrong', ({ z }) => z.string().trim().min(3, 'must describe the incident (at least 3 characters)').max(500), { required: true }),
      as: actorOption('who reports it'),
      json: jsonOption(),
    },
    run: async (opts, id: string) => {
      const [{ actor, withCycle }, { incidentSignal }, { shownCycleId }] = await Promise.all([import('../../use-cases/cycle-target.js'), import('../../../workflows/cycle/messages.js'), import('../../ids.js')]);
      await withCycle(id, (handle) => handle.signal(incidentSignal, { summary: opts.summary, reportedBy: actor(opts.as) }));
      const shown = shownCycleId(id);
      if (opts.json) printJson({ cycleId: shown, reported: true });
      else info(`incident reported on ${shown}`);
    },
  });
}
