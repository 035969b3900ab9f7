import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { actorOption, jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

/** `cycle pause` and `cycle resume` differ only in the signal they send. */
export function cycleControlCommand(name: 'pause' | 'resume', description: string): Command {
  return defineCommand({
    name,
    description,
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: {
      as: actorOption('who sends it'),
      reason: option('--reason <text>', 'why, recorded in the log', ({ z }) => z.string().max(500)),
      json: jsonOption(),
    },
    run: async (opts, id: string) => {
      const [{ actor, withCycle }, messages, { shownCycleId }] = await Promise.all([import('../../use-cases/cycle-target.js'), import('../../../workflows/cycle/messages.js'), import('../../ids.js')]);
      const signal = name === 'pause' ? messages.pauseSignal : messages.resumeSignal;
      await withCycle(id, (handle) => handle.signal(signal, { by: actor(opts.as), reason: opts.reason }));
      const shown = shownCycleId(id);
      if (opts.json) printJson({ cycleId: shown, signal: name });
      else info(`${name} sent to ${shown}`);
    },
  });
}
