import type { PatchPolicy } from '../../config/policy-schema';
import { isAfterHours } from '../../domain/reporting/business-hours';
import { weakestTier } from '../../domain/reporting/compliance';
import { deferralAging } from '../../domain/reporting/deferral-aging';
import type { ReportPeriod } from '../../domain/reporting/period';
import { failureRate } from '../../domain/reporting/remediation';
import { flaggedClients, median, type Scorecard, type ScorecardRow } from '../../domain/reporting/scorecard';
import { listClients } from '../store/client-store';
import type { Queryable } from '../store/pool';
import { patchTicketsOpened, timesToFix } from '../store/report-store';
import { claimOf, monthFigures } from './month-figures';
import { agreedFailureThreshold } from './monthly-report-data';

/** The internal one-pager across every stored client, as of the period's end. */
export async function buildScorecard(input: { db: Queryable; policy: PatchPolicy; period: ReportPeriod; now?: Date }): Promise<Scorecard> {
  const { db, policy, period } = input;
  const now = input.now ?? new Date();
  const rows: ScorecardRow[] = [];
  for (const client of await listClients(db)) {
    // A closed month reads the same month-end figures as that month's client report.
    const [{ figures }, tickets, fixes] = await Promise.all([
      monthFigures(db, client.id, period, policy.sla, now),
      patchTicketsOpened(db, client.id, period.start, period.end),
      timesToFix(db, client.id, period.start, period.end),
    ]);
    const { exceptions, deployments } = figures;
    const claim = claimOf(figures);
    const weakest = weakestTier(claim);
    const aging = deferralAging(exceptions, period.end);
    const timeToFix = median(fixes);
    rows.push({
      clientId: client.id,
      compliance:
        claim.status === 'blocked'
          ? { status: 'blocked', reason: claim.reason }
          : {
              status: 'claimed',
              weakestTier: weakest ? { assetClass: weakest.assetClass, severity: weakest.severity, percent: weakest.percent } : undefined,
              overdueAssets: claim.byOs.reduce((n, o) => n + o.overdue, 0),
            },
      activeExceptions: aging.active,
      oldestExceptionDays: aging.oldestDays,
      failureRate: failureRate(deployments, agreedFailureThreshold(policy, client.id)),
      patchTickets: tickets.length,
      afterHoursTickets: tickets.filter((at) => isAfterHours(at, client.timezone)).length,
      medianTimeToFixHours: timeToFix === null ? null : Math.round(timeToFix * 10) / 10,
      fixed: fixes.length,
    });
  }
  return {
    period: { label: period.label, kind: period.kind, start: period.start.toISOString(), end: period.end.toISOString() },
    generatedAt: now.toISOString(),
    rows,
    flagged: flaggedClients(rows),
  };
}
