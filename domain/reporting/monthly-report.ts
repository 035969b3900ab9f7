import type { OperatingSystem, Severity } from '../../config/policy-schema';
import type { ComplianceClaim } from './compliance';
import type { DeferralAgingSummary } from './deferral-aging';
import type { FailureRate, RemediationRow } from './remediation';

export interface RolledBackCycle {
  cycleId: string;
  status: string;
  reason: string | null;
  endedAt: string | null;
}

/** A patch whose verification during the period closed the most exposure (severity, then ePHI assets). */
export interface RiskReduced {
  patchId: string;
  title: string;
  severity: Severity;
  assets: number;
  ephiAssets: number;
}

export interface UnclassifiedAsset {
  hostname: string;
  /** Null for a device only a scan saw, with no OS reported. */
  os: OperatingSystem | null;
  missing: ('asset class' | 'ePHI answer')[];
  /** Set for a device discovery saw that is not in the inventory at all (rather than imported without a class). */
  source?: 'discovery';
}

/**
 * Where a report's figures came from: `month-end` figures were computed once after the month closed
 * and are read back unchanged by every later report (a reclassified asset or a new policy does not
 * rewrite October); `live` figures (an open month) were computed from the state history for this request.
 */
export interface FiguresSource {
  kind: 'month-end' | 'live';
  computedAt: string;
}

/** Everything the client's monthly report shows, all of it as of `period.end`. */
export interface MonthlyReport {
  clientId: string;
  clientName: string;
  mspName: string;
  period: { label: string; start: string; end: string };
  generatedAt: string;
  figures: FiguresSource;
  assets: number;
  ephiAssets: number;
  compliance: ComplianceClaim;
  unclassified: UnclassifiedAsset[];
  exceptions: DeferralAgingSummary;
  remediation: RemediationRow[];
  failureRate: FailureRate;
  rollbacks: { cycles: RolledBackCycle[]; assetPatches: number };
  topRisksReduced: RiskReduced[];
}

const SEVERITY_WEIGHT: Record<Severity, number> = { critical: 3, high: 2, routine: 1 };

/** Severity first, then assets handling ePHI, then every asset; the top five make the list. */
export function topRisksReduced(risks: readonly RiskReduced[], limit = 5): RiskReduced[] {
  return [...risks]
    .sort((a, b) => SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || b.ephiAssets - a.ephiAssets || b.assets - a.assets || a.patchId.localeCompare(b.patchId))
    .slice(0, limit);
}
