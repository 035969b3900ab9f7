import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { actorOption, jsonOption, keyOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

/** `cycle pause` and `cycle resume` differ only in the update they send. */
export function cycleControlCommand(name: 'pause' | 'resume', description: string): Command {
  return defineCommand({
    name,
    description,
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: {
      as: actorOption('who sends it'),
      reason: option('--reason <text>', 'why, recorded in the log', ({ z }) => z.string().max(2000)),
      key: keyOption(`the ${name}`),
      json: jsonOption(),
    },
    run: async (opts, id: string) => {
      const [{ actor }, { controlCycle }, { shownCycleId }] = await Promise.all([import('../../use-cases/cycle-target.js'), import('../../use-cases/decide.js'), import('../../ids.js')]);
      await controlCycle(id, { kind: name, by: actor(opts.as), reason: opts.reason }, opts.key);
      const shown = shownCycleId(id);
      if (opts.json) printJson({ cycleId: shown, signal: name });
      else info(`${name} accepted by ${shown}`);
    },
  });
}
