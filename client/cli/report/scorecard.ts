import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson, printTable } from '../output';
import { monthOption } from './month-option';

const pct = (share: number) => `${(100 * share).toFixed(1)} %`;

export function reportScorecardCommand(): Command {
  return defineCommand({
    name: 'scorecard',
    description: 'the internal one-pager across clients: weakest-tier compliance, exception aging, failure rate vs the agreed threshold, after-hours patch tickets, time-to-fix',
    options: {
      week: option('--week', 'the last full week (Monday to Monday, UTC) instead of the last full month', ({ z }) => z.boolean()),
      month: monthOption('a given month (default: the last full month)'),
      json: jsonOption('print the scorecard as one JSON document'),
    },
    check: (o) => (o.week && o.month ? [{ key: 'week', message: 'cannot be combined with --month' }] : []),
    run: async (opts) => {
      const [{ loadPolicy }, { buildScorecard }, { migrateUp }, { createPool }, { lastFullWeek, monthPeriod, previousMonth }, { resolveDatabaseUrl }] = await Promise.all([
        import('../../use-cases/policy.js'),
        import('../../../activities/reporting/scorecard-data.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('../../../domain/reporting/period.js'),
        import('../../connection/stack.js'),
      ]);
      const { policy } = loadPolicy();
      const now = new Date();
      const period = opts.week ? lastFullWeek(now) : monthPeriod(opts.month ?? previousMonth(now));
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 2);
      try {
        const scorecard = await buildScorecard({ db, policy, period, now });
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
            r.failureRate.exceedsThreshold ? 'failure rate above the agreed threshold: adjust SLA windows' : '',
          ]),
        );
      } finally {
        await db.end();
      }
    },
  });
}
