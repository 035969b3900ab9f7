import { Command } from 'commander';
import { z } from 'zod';
import { findPolicyFile, loadPolicyFile } from '../../config/load-policy';
import { buildScorecard } from '../../activities/reporting/scorecard-data';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { lastFullWeek, MONTH_PATTERN, monthPeriod, previousMonth } from '../../domain/reporting/period';
import { badInput } from '../errors';
import { parseOptions } from '../options';
import { info, printJson, printTable } from '../output';
import { resolveDatabaseUrl } from '../connection/stack';

const options = z
  .object({
    week: z.boolean().optional(),
    month: z.string().regex(MONTH_PATTERN, 'must be a month YYYY-MM').optional(),
    json: z.boolean().optional(),
  })
  .refine((o) => !(o.week && o.month), { path: ['week'], message: 'cannot be combined with --month' });

const pct = (share: number) => `${(100 * share).toFixed(1)} %`;

export function reportScorecardCommand(): Command {
  return new Command('scorecard')
    .description('the internal one-pager across clients: weakest-tier compliance, exception aging, failure rate vs the agreed threshold, after-hours patch tickets, time-to-fix')
    .option('--week', 'the last full week (Monday to Monday, UTC) instead of the last full month')
    .option('--month <YYYY-MM>', 'a given month (default: the last full month)')
    .option('--json', 'print the scorecard as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const loaded = loadPolicyFile(findPolicyFile(undefined));
      if (!loaded.ok) throw badInput(`policy ${loaded.file} is invalid`, 'run `patchctl config check` and fix what it lists', loaded.problems);
      const now = new Date();
      const period = opts.week ? lastFullWeek(now) : monthPeriod(opts.month ?? previousMonth(now));
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 2);
      try {
        const scorecard = await buildScorecard({ db, policy: loaded.policy, period, now });
        if (opts.json) {
          printJson(scorecard);
          return;
        }
        info(`scorecard ${period.label} (as of ${period.end.toISOString()})`);
        printTable(
          ['client', 'weakest tier', 'overdue assets', 'exceptions (oldest d)', 'failure rate / threshold', 'patch tickets (after hours)', 'median time-to-fix h', 'flag'],
          scorecard.rows.map((r) => [
            r.clientId,
            r.compliance.status === 'blocked' ? 'BLOCKED: unclassified assets' : r.compliance.weakestTier ? `${r.compliance.weakestTier.assetClass}/${r.compliance.weakestTier.severity} ${r.compliance.weakestTier.percent?.toFixed(1)} %` : 'n/a',
            r.compliance.status === 'claimed' ? r.compliance.overdueAssets : '',
            `${r.activeExceptions} (${r.oldestExceptionDays ?? '—'})`,
            `${pct(r.failureRate.rate)} / ${pct(r.failureRate.threshold)}`,
            `${r.patchTickets} (${r.afterHoursTickets})`,
            r.medianTimeToFixHours ?? '—',
            r.failureRate.exceedsThreshold ? 'failure rate above threshold: review SLA windows' : '',
          ]),
        );
      } finally {
        await db.end();
      }
    });
}
