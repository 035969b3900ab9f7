import { Command } from 'commander';
import { z } from 'zod';
import { parseOptions } from '../options';
import { printJson, printTable } from '../output';
import { resolveTemporalTarget } from '../stack';
import { withClient } from '../temporal-connection';

const options = z.object({ open: z.boolean().optional(), limit: z.coerce.number().int().min(1).max(10_000).default(100), json: z.boolean().optional() });

export function cycleListCommand(): Command {
  return new Command('list')
    .description('list patch cycles, newest first')
    .option('--open', 'only cycles that are still running')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print {"cycles":[…]} as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const query = `WorkflowType = 'patchCycle'${opts.open ? ` AND ExecutionStatus = 'Running'` : ''}`;
      const cycles = await withClient(resolveTemporalTarget(), async (client) => {
        const found: { id: string; status: string; startedAt: string; closedAt: string | null }[] = [];
        for await (const execution of client.workflow.list({ query })) {
          found.push({
            id: execution.workflowId.replace(/^cycle\//, ''),
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
    });
}
