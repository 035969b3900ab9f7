import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { actorOption, jsonOption, reasonOption } from '../fragments';
import { info, printJson } from '../output';

export function cycleAbortCommand(): Command {
  return defineCommand({
    name: 'abort',
    description: 'abort a cycle: the running ring stops and every touched ring is rolled back',
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: { reason: reasonOption('why, recorded in the evidence', 500), as: actorOption('who aborts'), json: jsonOption() },
    run: async (opts, id: string) => {
      const [{ actor, withCycle }, { abortSignal }, { shownCycleId }] = await Promise.all([import('../../use-cases/cycle-target.js'), import('../../../workflows/cycle/messages.js'), import('../../ids.js')]);
      await withCycle(id, (handle) => handle.signal(abortSignal, { reason: opts.reason, by: actor(opts.as) }));
      const shown = shownCycleId(id);
      if (opts.json) printJson({ cycleId: shown, aborted: true });
      else info(`abort requested for ${shown}; watch the rollback with \`patchctl cycle status ${shown} --watch\``);
    },
  });
}
