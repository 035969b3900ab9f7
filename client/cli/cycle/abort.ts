import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { actorOption, jsonOption, keyOption, reasonOption } from '../fragments';
import { info, printJson } from '../output';

export function cycleAbortCommand(): Command {
  return defineCommand({
    name: 'abort',
    description: 'abort a cycle: the running ring stops and every touched ring is rolled back (policy operators only)',
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: { reason: reasonOption('why, recorded in the evidence', 2000), as: actorOption('who aborts'), key: keyOption('the abort'), json: jsonOption() },
    run: async (opts, id: string) => {
      const [{ actor }, { controlCycle }, { shownCycleId }] = await Promise.all([import('../../use-cases/cycle-target.js'), import('../../use-cases/decide.js'), import('../../ids.js')]);
      await controlCycle(id, { kind: 'abort', reason: opts.reason, by: actor(opts.as) }, opts.key);
      const shown = shownCycleId(id);
      if (opts.json) printJson({ cycleId: shown, aborted: true });
      else info(`abort accepted for ${shown}; watch the rollback with \`patchctl cycle status ${shown} --watch\``);
    },
  });
}
