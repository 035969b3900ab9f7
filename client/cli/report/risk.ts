import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson, printTable } from '../output';

export function reportRiskCommand(): Command {
  return defineCommand({
    name: 'risk',
    description: 'ranks clients by risk (regulated account, uptime needs, ePHI exposure, overdue critical patches) and flags the top 20 %',
    options: {
      csv: option('--csv', 'print the ranking as CSV (one row per client)', ({ z }) => z.boolean()),
      json: jsonOption('print {"asOf","weights","clients":[…],"flagged":[…]} as one JSON document'),
    },
    check: (o) => (o.csv && o.json ? [{ key: 'csv', message: 'cannot be combined with --json' }] : []),
    run: async (opts) => {
      const [{ loadPolicy }, { buildRiskRanking, riskRankingCsv, riskTableRows }, { migrateUp }, { createPool }, { resolveDatabaseUrl }] = await Promise.all([
        import('../../use-cases/policy.js'),
        import('../../../activities/reporting/risk-data.js'),
        import('../../../activities/store/migrate.js'),
        import('../../../activities/store/pool.js'),
        import('../../connection/stack.js'),
      ]);
      const { policy } = loadPolicy();
      const databaseUrl = resolveDatabaseUrl();
      await migrateUp(databaseUrl);
      const db = createPool(databaseUrl, 2);
      try {
        const ranking = await buildRiskRanking({ db, policy });
        if (opts.json) return printJson(ranking);
        if (opts.csv) return void process.stdout.write(riskRankingCsv(ranking));
        const w = ranking.weights;
        info(`client risk as of ${ranking.asOf} — points: regulated ${w.regulated}, high uptime ${w.uptime}, ePHI share × ${w.ephiExposure}, overdue-critical share × ${w.overdueCritical}`);
        printTable(['rank', 'client', 'score', 'regulated', 'uptime', 'ePHI assets', 'overdue critical', 'flag'], riskTableRows(ranking));
        const unset = ranking.clients.filter((c) => c.regulated === undefined || c.uptime === undefined).map((c) => c.clientId);
        if (unset.length > 0) info(`not set in the policy (counted as no / standard): ${unset.join(', ')} — add clients[].regulated and clients[].uptime`);
      } finally {
        await db.end();
      }
    },
  });
}
