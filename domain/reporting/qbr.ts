import type { Severity } from '../../config/policy-schema';
import { SEVERITIES } from '../../config/policy-schema';
import type { ComplianceClaim } from './compliance';
import type { ExceptionAging } from './deferral-aging';
import type { RiskReduced } from './monthly-report';

// The quarterly business review's executive summary (playbook: QBR pack): the compliance trend over
// the quarter's months, the exceptions in force with their expiry, and each month's top risks reduced.

export const QUARTER_PATTERN = /^(\d{4})-Q([1-4])$/;

export interface Quarter {
  label: string;
  months: [string, string, string];
  start: Date;
  end: Date;
}

export function quarterOf(label: string): Quarter {
  const match = QUARTER_PATTERN.exec(label);
  if (!match) throw new Error(`quarter must be YYYY-Qn, got "${label}"`);
  const year = Number(match[1]);
  const first = (Number(match[2]) - 1) * 3;
  const month = (i: number) => `${year}-${String(first + i + 1).padStart(2, '0')}`;
  return { label, months: [month(0), month(1), month(2)], start: new Date(Date.UTC(year, first, 1)), end: new Date(Date.UTC(year, first + 3, 1)) };
}

/** The quarter a moment falls in, e.g. `2026-Q4` for any day of October to December 2026 (UTC). */
export function quarterLabelAt(at: Date): string {
  return `${at.getUTCFullYear()}-Q${Math.floor(at.getUTCMonth() / 3) + 1}`;
}

/** One month of the trend: per severity the weakest asset class's compliance, never a blended figure. */
export interface QbrMonth {
  month: string;
  /** `month-end` figures of a closed month, `live` for the month under way. */
  figures: 'month-end' | 'live';
  status: ComplianceClaim['status'];
  /** Set when the claim is blocked (unclassified assets). */
  blockedReason?: string;
  weakestBySeverity: Record<Severity, { assetClass: string; percent: number } | null>;
  topRisksReduced: RiskReduced[];
}

export interface QbrSummary {
  clientId: string;
  clientName: string;
  mspName: string;
  quarter: string;
  generatedAt: string;
  /** The quarter's months that have begun, in order; a month not yet begun is left out. */
  months: QbrMonth[];
  /** Exceptions in force at the end of the last month shown, with their expiry (or review) date. */
  activeExceptions: ExceptionAging[];
  exceptionsAsOf: string | null;
}

export function weakestBySeverity(claim: ComplianceClaim): QbrMonth['weakestBySeverity'] {
  const result = {} as QbrMonth['weakestBySeverity'];
  for (const severity of SEVERITIES) {
    const tiers = claim.status === 'claimed' ? claim.byTier.filter((t) => t.severity === severity && t.percent !== undefined) : [];
    const weakest = tiers.sort((a, b) => (a.percent ?? 0) - (b.percent ?? 0))[0];
    result[severity] = weakest ? { assetClass: weakest.assetClass, percent: weakest.percent as number } : null;
  }
  return result;
}
