import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { info, printJson, printTable } from '../output';

export function scheduleListCommand(): Command {
  return defineCommand({
    name: 'list',
    description: 'the Temporal Schedules (monthly report, …): state, next run, last run',
    options: { json: jsonOption('print {"schedules":[…]} as one JSON document') },
    run: async (opts) => {
      const { resolveTemporalTarget, withClient } = await import('../../connection/temporal-connection.js');
      const schedules = await withClient(resolveTemporalTarget(), async (client) => {
        const found = [];
        for await (const summary of client.schedule.list()) {
          const description = await client.schedule.getHandle(summary.scheduleId).describe();
          found.push({
            id: summary.scheduleId,
            workflowType: summary.action?.type === 'startWorkflow' ? summary.action.workflowType : null,
            paused: description.state.paused,
            note: description.state.note ?? null,
            nextRun: description.info.nextActionTimes[0]?.toISOString() ?? null,
            lastRun: description.info.recentActions.at(-1)?.takenAt.toISOString() ?? null,
          });
        }
        return found.sort((a, b) => a.id.localeCompare(b.id));
      });
      if (opts.json) printJson({ schedules });
      else if (schedules.length === 0) info('no schedules yet: `patchctl dev` creates them when it starts');
      else printTable(['schedule', 'workflow', 'state', 'next run', 'last run', 'note'], schedules.map((s) => [s.id, s.workflowType, s.paused ? 'paused' : 'active', s.nextRun, s.lastRun, s.note]));
    },
  });
}
