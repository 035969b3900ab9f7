import type { ScheduleHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

// pause / resume / trigger share their shape: one schedule id, one action on its handle.

export type ScheduleAction = 'pause' | 'resume' | 'trigger';

const DONE: Record<ScheduleAction, string> = { pause: 'paused', resume: 'resumed', trigger: 'triggered (a run starts now)' };

/** What `patchctl schedule list` shows; anything else cannot name a schedule, so it is not found. */
const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function scheduleControlCommand(name: ScheduleAction, description: string, act: (handle: ScheduleHandle, note: string) => Promise<void>): Command {
  return defineCommand({
    name,
    description,
    args: [['<schedule-id>', 'as `patchctl schedule list` shows it, e.g. monthly-report']],
    options: {
      reason: option('--reason <text>', 'a note kept on the schedule', ({ z }) => z.string().min(1).max(500)),
      json: jsonOption('print {"scheduleId","action"} as one JSON document'),
    },
    run: async (opts, scheduleId: string) => {
      const [{ ScheduleNotFoundError }, { notFound }, { resolveTemporalTarget, withClient }] = await Promise.all([
        import('@temporalio/client'),
        import('../../errors.js'),
        import('../../connection/temporal-connection.js'),
      ]);
      const unknown = () => notFound(`no schedule "${scheduleId}"`, 'run `patchctl schedule list` to see the ids');
      if (!SCHEDULE_ID.test(scheduleId)) throw unknown();
      await withClient(resolveTemporalTarget(), async (client) => {
        try {
          await act(client.schedule.getHandle(scheduleId), opts.reason ?? `${name} from patchctl`);
        } catch (error) {
          if (error instanceof ScheduleNotFoundError) throw unknown();
          throw error;
        }
      });
      if (opts.json) printJson({ scheduleId, action: name });
      else info(`schedule ${scheduleId}: ${DONE[name]}`);
    },
  });
}
