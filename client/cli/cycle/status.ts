import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { createProgress, info, printJson, type ProgressBar } from '../output';
import type { ShownStatus } from '../../use-cases/cycle-status';
import { printCycleStatus, statusLine } from './cycle-view';

/**
 * Follows a cycle until it ends. On a terminal: a progress bar per ring (stderr). Elsewhere (cron,
 * CI logs, a pipe): one line each time the status line changes, so a log shows the cycle's course.
 */
export async function watchCycle(next: () => Promise<ShownStatus>, first: ShownStatus, intervalMs: number, ended: (s: ShownStatus) => boolean, terminal = Boolean(process.stdout.isTTY && process.stderr.isTTY)): Promise<ShownStatus> {
  let current = first;
  if (terminal) {
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
      await new Promise((r) => setTimeout(r, intervalMs));
      current = await next();
    }
    progress.stop();
    return current;
  }
  let last = '';
  for (;;) {
    const line = statusLine(current);
    if (line !== last) info(line);
    last = line;
    if (ended(current)) return current;
    await new Promise((r) => setTimeout(r, intervalMs));
    current = await next();
  }
}

export function cycleStatusCommand(): Command {
  return defineCommand({
    name: 'status',
    description: 'show a cycle: phase (with the maintenance window it waits for), per-ring counts, failure rate vs threshold, pending decision, SLA deadlines at risk',
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: {
      watch: option('--watch', 'follow the cycle until it ends (one line per change when stdout is not a terminal); exits 1 if it rolled back', ({ z }) => z.boolean()),
      interval: option('--interval <ms>', 'refresh interval for --watch', ({ z }) => z.coerce.number().int().min(200).max(60_000), { default: '1000' }),
      json: jsonOption('print the status as one JSON document (with --watch: the final status)'),
    },
    run: async (opts, id: string) => {
      const [{ withCycle }, { liveStatus, cycleEnded }, { shownCycleId }, { failed }] = await Promise.all([
        import('../../use-cases/cycle-target.js'),
        import('../../use-cases/cycle-status.js'),
        import('../../ids.js'),
        import('../../errors.js'),
      ]);
      const status = await withCycle(id, async (handle) => {
        const first = await liveStatus(handle);
        return opts.watch ? watchCycle(() => liveStatus(handle), first, opts.interval, cycleEnded) : first;
      });
      const shown = shownCycleId(id);
      if (opts.json) printJson({ ...status, cycleId: shownCycleId(status.cycleId), workflowId: status.cycleId });
      else if (!opts.watch || process.stdout.isTTY) printCycleStatus(status);
      if (opts.watch && (status.outcome?.status === 'rolled-back' || status.outcome?.status === 'rollback-incomplete')) {
        throw failed(`cycle ${shown} ${status.outcome.status === 'rolled-back' ? 'rolled back' : 'rollback incomplete'}: ${status.outcome.reason}`, `see the decisions with \`patchctl cycle status ${shown} --json\``);
      }
    },
  });
}
