import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { actorOption, jsonOption, keyOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

export function cycleIncidentCommand(): Command {
  return defineCommand({
    name: 'incident',
    description: 'report an incident: the current ring fails its gate and waits for a decision (policy operators only)',
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: {
      summary: option('--summary <text>', 'what went wrong', ({ z }) => z.string().trim().min(3, 'must describe the incident (at least 3 characters)').max(2000), { required: true }),
      as: actorOption('who reports it'),
      key: keyOption('the incident report'),
      json: jsonOption(),
    },
    run: async (opts, id: string) => {
      const [{ actor }, { controlCycle }, { shownCycleId }] = await Promise.all([import('../../use-cases/cycle-target.js'), import('../../use-cases/decide.js'), import('../../ids.js')]);
      await controlCycle(id, { kind: 'incident', summary: opts.summary, by: actor(opts.as) }, opts.key);
      const shown = shownCycleId(id);
      if (opts.json) printJson({ cycleId: shown, reported: true });
      else info(`incident reported on ${shown}`);
    },
  });
}
