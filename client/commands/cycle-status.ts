import { Command } from 'commander';
import { z } from 'zod';
import { isCycleEnded, type CycleStatus } from '../../domain/cycle-status';
import { withCycle } from '../cycle-target';
import { failed } from '../errors';
import { liveStatus, printCycleStatus } from '../cycle-view';
import { parseOptions } from '../options';
import { createProgress, printJson, type ProgressBar } from '../output';

const options = z.object({
  watch: z.boolean().optional(),
  interval: z.coerce.number().int().min(200).max(60_000).default(1000),
  json: z.boolean().optional(),
});

const ended = (s: CycleStatus) => isCycleEnded(s.phase);

export function cycleStatusCommand(): Command {
  return new Command('status')
    .description('show a cycle: phase, per-ring counts, failure rate vs threshold, pending decision, SLA deadlines at risk')
    .argument('<id>', 'cycle id (CLIENT/NAME)')
    .option('--watch', 'follow the cycle until it ends; exits 1 if it rolled back')
    .option('--interval <ms>', 'refresh interval for --watch', '1000')
    .option('--json', 'print the status as one JSON document (with --watch: the final status)')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const status = await withCycle(id, async (handle) => {
        let current = await liveStatus(handle);
        if (!opts.watch) return current;
        const progress = createProgress();
        const bars = new Map<string, ProgressBar>();
        while (!ended(current)) {
          for (const ring of current.rings) {
            const label = `${ring.ring.padEnd(10)} ${ring.state.padEnd(17)} verified ${ring.verified} failed ${ring.failed}`;
            let bar = bars.get(ring.ring);
            if (!bar) {
              bar = progress.bar(label, Math.max(ring.planned, 1));
              bars.set(ring.ring, bar);
            }
            bar.update(ring.verified + ring.failed, label);
          }
          await new Promise((r) => setTimeout(r, opts.interval));
          current = await liveStatus(handle);
        }
        progress.stop();
        return current;
      });
      if (opts.json) printJson(status);
      else printCycleStatus(status);
      if (opts.watch && status.outcome?.status === 'rolled-back') {
        throw failed(`cycle ${id} rolled back: ${status.outcome.reason}`, `see the decisions with \`patchctl cycle status ${id} --json\``);
      }
    });
}
