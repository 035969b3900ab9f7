import type { AssetClass, RebootPolicy, Severity, SlaTable } from '../../config/policy-schema';
import { SEVERITIES } from '../../config/policy-schema';

/** The most urgent severity among a set of patches decides an asset's deadline. */
export function highestSeverity(severities: readonly Severity[]): Severity {
  for (const severity of SEVERITIES) if (severities.includes(severity)) return severity;
  return 'routine';
}

export interface SlaTerms {
  deadline: Date;
  reboot: RebootPolicy;
}

export function slaTerms(table: SlaTable, assetClass: AssetClass, severity: Severity, detectedAt: Date): SlaTerms {
  const rule = table[assetClass][severity];
  return { deadline: new Date(detectedAt.getTime() + rule.deploymentWindow), reboot: rule.reboot };
}
