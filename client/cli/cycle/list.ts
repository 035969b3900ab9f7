import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { printJson, printTable } from '../output';

export function cycleListCommand(): Command {
  return defineCommand({
    name: 'list',
    description: 'list patch cycles, newest first',
    options: {
      open: option('--open', 'only cycles that are still running', ({ z }) => z.boolean()),
      limit: option('--limit <n>', 'at most this many', ({ z }) => z.coerce.number().int().min(1).max(10_000), { default: '100' }),
      json: jsonOption('print {"cycles":[{"id","workflowId","status","startedAt","closedAt"}]} as one JSON document'),
    },
    run: async (opts) => {
      const [{ resolveTemporalTarget, withClient }, { shownCycleId }] = await Promise.all([import('../../connection/temporal-connection.js'), import('../../ids.js')]);
      const query = `WorkflowType = 'patchCycle'${opts.open ? ` AND ExecutionStatus = 'Running'` : ''}`;
      const cycles = await withClient(resolveTemporalTarget(), async (client) => {
        const found: { id: string; workflowId: string; status: string; startedAt: string; closedAt: string | null }[] = [];
        for await (const execution of client.workflow.list({ query })) {
          found.push({
            id: shownCycleId(execution.workflowId),
            workflowId: execution.workflowId,
            status: execution.status.name.toLowerCase(),
            startedAt: execution.startTime.toISOString(),
            closedAt: execution.closeTime?.toISOString() ?? null,
          });
          if (found.length >= opts.limit) break;
        }
        return found;
      });
      if (opts.json) printJson({ cycles });
      else printTable(['cycle', 'status', 'started', 'closed'], cycles.map((c) => [c.id, c.status, c.startedAt, c.closedAt ?? '']));
    },
  });
}
