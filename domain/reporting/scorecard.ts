import type { TierCompliance } from './compliance';
import type { FailureRate } from './remediation';

/** One client's line on the internal weekly/monthly one-pager. */
export interface ScorecardRow {
  clientId: string;
  /** The weakest tier's compliance, or why no figure can be claimed. */
  compliance: { status: 'claimed'; weakestTier?: Pick<TierCompliance, 'assetClass' | 'severity' | 'percent'>; overdueAssets: number } | { status: 'blocked'; reason: string };
  activeExceptions: number;
  oldestExceptionDays: number | null;
  failureRate: FailureRate;
  patchTickets: number;
  afterHoursTickets: number;
  /** Median hours from a failed deployment to the same patch verified on the same asset. */
  medianTimeToFixHours: number | null;
  fixed: number;
}

export interface Scorecard {
  period: { label: string; kind: 'month' | 'week'; start: string; end: string };
  generatedAt: string;
  rows: ScorecardRow[];
  /** Clients whose failure rate exceeds their agreed threshold: their SLA windows need a look. */
  flagged: string[];
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function flaggedClients(rows: readonly ScorecardRow[]): string[] {
  return rows.filter((r) => r.failureRate.exceedsThreshold).map((r) => r.clientId);
}
