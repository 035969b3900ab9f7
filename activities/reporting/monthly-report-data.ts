import type { PatchPolicy } from '../../config/policy-schema';
import { failure } from '../../domain/failure-catalog';
import { deferralAging } from '../../domain/reporting/deferral-aging';
import { topRisksReduced, type MonthlyReport } from '../../domain/reporting/monthly-report';
import { monthPeriod } from '../../domain/reporting/period';
import { failureRate, remediationVsSla } from '../../domain/reporting/remediation';
import { getClient } from '../store/client-store';
import type { Queryable } from '../store/pool';
import { claimOf, monthFigures } from './month-figures';

/**
 * The threshold a client agreed for its patch failure rate (clients[].agreedFailureThreshold); without
 * one, the production ring's gate threshold, which the MSP already holds every rollout to.
 */
export function agreedFailureThreshold(policy: PatchPolicy, clientId: string): number {
  return policy.clients.find((c) => c.id === clientId)?.agreedFailureThreshold ?? policy.rings.production.failureThreshold;
}

export interface MonthlyReportInput {
  db: Queryable;
  policy: PatchPolicy;
  clientId: string;
  /** YYYY-MM */
  month: string;
  now?: Date;
}

/** Gathers every figure of the client's monthly report as of the month's end (UTC). */
export async function buildMonthlyReport(input: MonthlyReportInput): Promise<MonthlyReport> {
  const { db, policy, clientId } = input;
  const period = monthPeriod(input.month);
  const client = await getClient(db, clientId);
  if (!client) throw failure('NotFound', `no client "${clientId}" in the patchctl database`);
  const now = input.now ?? new Date();
  const { figures, source } = await monthFigures(db, clientId, period, policy.sla, now);
  const { fleet, unclassified, exceptions, outcomes, deployments, rollbacks } = figures;
  return {
    clientId,
    clientName: client.name,
    mspName: policy.msp.name,
    period: { label: period.label, start: period.start.toISOString(), end: period.end.toISOString() },
    generatedAt: now.toISOString(),
    figures: source,
    assets: fleet.assets,
    ephiAssets: fleet.ephiAssets,
    compliance: claimOf(figures),
    unclassified,
    exceptions: deferralAging(exceptions, period.end),
    remediation: remediationVsSla(outcomes.remediation, policy.sla),
    failureRate: failureRate(deployments, agreedFailureThreshold(policy, clientId)),
    rollbacks: { cycles: rollbacks, assetPatches: deployments.rolledBack },
    topRisksReduced: topRisksReduced(outcomes.risks),
  };
}
