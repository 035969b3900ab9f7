import { Command } from 'commander';
import { ScheduleNotFoundError, type ScheduleHandle } from '@temporalio/client';
import { z } from 'zod';
import { notFound } from '../errors';
import { parseOptions } from '../options';
import { info, printJson } from '../output';
import { resolveTemporalTarget } from '../connection/temporal-target';
import { withClient } from '../temporal-connection';

// pause / resume / trigger share their shape: one schedule id, one action on its handle.

const options = z.object({
  reason: z.string().min(1).max(500).optional(),
  json: z.boolean().optional(),
});

export function scheduleControlCommand(name: 'pause' | 'resume' | 'trigger', description: string, act: (handle: ScheduleHandle, note: string) => Promise<void>): Command {
  return new Command(name)
    .description(description)
    .argument('<schedule-id>', 'as `patchctl schedule list` shows it, e.g. monthly-report')
    .option('--reason <text>', 'a note kept on the schedule')
    .option('--json', 'print {"scheduleId","action"} as one JSON document')
    .action(async (scheduleId: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/, 'must be a schedule id').safeParse(scheduleId);
      if (!id.success) throw notFound(`no schedule "${scheduleId}"`, 'run `patchctl schedule list` to see the ids');
      await withClient(resolveTemporalTarget(), async (client) => {
        try {
          await act(client.schedule.getHandle(id.data), opts.reason ?? `${name} from patchctl`);
        } catch (error) {
          if (error instanceof ScheduleNotFoundError) throw notFound(`no schedule "${scheduleId}"`, 'run `patchctl schedule list` to see the ids');
          throw error;
        }
      });
      if (opts.json) printJson({ scheduleId, action: name });
      else info(`schedule ${scheduleId}: ${name === 'trigger' ? 'triggered (a run starts now)' : name === 'pause' ? 'paused' : 'resumed'}`);
    });
}
