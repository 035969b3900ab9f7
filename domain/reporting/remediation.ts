import type { AssetClass, Severity, SlaTable } from '../../config/policy-schema';
import { ASSET_CLASSES, SEVERITIES } from '../../config/policy-schema';

const HOUR = 3_600_000;

/** Patches verified during the period for one tier, as the store aggregates them. */
export interface RemediationAggregate {
  assetClass: AssetClass;
  severity: Severity;
  remediated: number;
  withinSla: number;
  medianHours: number;
  p90Hours: number;
  maxHours: number;
}

export interface RemediationRow extends RemediationAggregate {
  slaHours: number;
  /** Share of remediations verified inside the SLA window, 0..1. */
  withinSlaShare: number;
}

/** Time-to-remediate (detection → verification) per tier, against the SLA window of that tier. */
export function remediationVsSla(rows: readonly RemediationAggregate[], sla: SlaTable): RemediationRow[] {
  const order = (r: RemediationAggregate) => ASSET_CLASSES.indexOf(r.assetClass) * 10 + SEVERITIES.indexOf(r.severity);
  return [...rows]
    .sort((a, b) => order(a) - order(b))
    .map((row) => ({
      ...row,
      slaHours: sla[row.assetClass][row.severity].deploymentWindow / HOUR,
      withinSlaShare: row.remediated === 0 ? 1 : row.withinSla / row.remediated,
    }));
}

/** Deployment outcomes of the period: every (cycle, asset, patch) that was attempted. */
export interface DeploymentCounts {
  attempted: number;
  failed: number;
  rolledBack: number;
}

export interface FailureRate extends DeploymentCounts {
  /** failed / attempted, 0..1; 0 when nothing was attempted. */
  rate: number;
  threshold: number;
  exceedsThreshold: boolean;
}

export function failureRate(counts: DeploymentCounts, threshold: number): FailureRate {
  const rate = counts.attempted === 0 ? 0 : counts.failed / counts.attempted;
  return { ...counts, rate, threshold, exceedsThreshold: rate > threshold };
}
