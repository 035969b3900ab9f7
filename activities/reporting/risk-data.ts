import type { PatchPolicy } from '../../config/policy-schema';
import { rankClientRisks, RISK_FLAG_SHARE, RISK_WEIGHTS, type ClientRisk } from '../../domain/reporting/risk';
import { toCsv } from '../evidence/csv';
import type { Queryable } from '../store/pool';
import { assetStatusGroups, fleetCounts } from '../store/report-store';

export interface RiskRanking {
  asOf: string;
  weights: typeof RISK_WEIGHTS;
  flagShare: number;
  clients: ClientRisk[];
  /** The top 20 %: the clients to baseline and scope first. */
  flagged: string[];
}

/** Every client of the policy ranked by risk as of `now`: its policy facts and its fleet as it stands. */
export async function buildRiskRanking(input: { db: Queryable; policy: PatchPolicy; now?: Date }): Promise<RiskRanking> {
  const { db, policy } = input;
  const now = input.now ?? new Date();
  const facts = await Promise.all(
    policy.clients.map(async (client) => {
      const [fleet, groups] = await Promise.all([fleetCounts(db, client.id, now), assetStatusGroups(db, client.id, now, policy.sla)]);
      return {
        clientId: client.id,
        regulated: client.regulated,
        uptime: client.uptime,
        assets: fleet.assets,
        ephiAssets: fleet.ephiAssets,
        overdueCriticalAssets: groups.filter((g) => g.statuses.critical === 'overdue').reduce((n, g) => n + g.assets, 0),
      };
    }),
  );
  const clients = rankClientRisks(facts);
  return { asOf: now.toISOString(), weights: RISK_WEIGHTS, flagShare: RISK_FLAG_SHARE, clients, flagged: clients.filter((c) => c.flagged).map((c) => c.clientId) };
}

const known = (value: string | boolean | undefined) => (value === undefined ? 'not set' : value === true ? 'yes' : value === false ? 'no' : value);

/** One row per client, ranked, for a spreadsheet. */
export function riskRankingCsv(ranking: RiskRanking): string {
  return toCsv(
    ['rank', 'client', 'score', 'flagged_top_20_percent', 'regulated', 'uptime', 'assets', 'ephi_assets', 'ephi_share', 'overdue_critical_assets', 'overdue_critical_share', 'as_of'],
    ranking.clients.map((c) => [c.rank, c.clientId, c.score, c.flagged ? 'yes' : 'no', known(c.regulated), known(c.uptime), c.assets, c.ephiAssets, c.ephiShare, c.overdueCriticalAssets, c.overdueCriticalShare, ranking.asOf]),
  );
}

export function riskTableRows(ranking: RiskRanking): (string | number)[][] {
  return ranking.clients.map((c) => [
    c.rank,
    c.clientId,
    c.score,
    known(c.regulated),
    known(c.uptime),
    `${c.ephiAssets}/${c.assets}`,
    c.overdueCriticalAssets,
    c.flagged ? 'TOP 20 %: baseline and scope first' : '',
  ]);
}
