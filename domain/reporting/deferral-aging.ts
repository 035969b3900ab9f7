const DAY = 86_400_000;

/** An exception as it stood at the period's end. */
export interface ActiveException {
  id: string;
  kind: 'deferral' | 'isolated-lane';
  hostnames: string[];
  patchIds: string[];
  reason: string;
  ticketId: string | null;
  requestedAt: Date;
  approvedAt: Date;
  /** Hard expiry of a deferral; an isolated lane has a review date instead. */
  expiresAt: Date | null;
  reviewAt: Date | null;
}

export interface ExceptionAging {
  id: string;
  kind: ActiveException['kind'];
  assets: number;
  patches: string[];
  ticketId: string | null;
  endsAt: string | null;
  /** Days since the request, at the period's end. */
  ageDays: number;
  /** Days from approval to the expiry (or review date): how long the deferral was granted for. */
  grantedDays: number | null;
  /** Days left at the period's end. */
  remainingDays: number | null;
}

export const AGING_BUCKETS = ['0-30 d', '31-60 d', '61-90 d', 'over 90 d'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

export interface DeferralAgingSummary {
  active: number;
  deferrals: number;
  isolatedLanes: number;
  buckets: Record<AgingBucket, number>;
  oldestDays: number | null;
  averageGrantedDays: number | null;
  exceptions: ExceptionAging[];
}

function days(ms: number): number {
  return Math.floor(ms / DAY);
}

export function agingBucket(ageDays: number): AgingBucket {
  if (ageDays <= 30) return '0-30 d';
  if (ageDays <= 60) return '31-60 d';
  if (ageDays <= 90) return '61-90 d';
  return 'over 90 d';
}

export function deferralAging(exceptions: readonly ActiveException[], asOf: Date): DeferralAgingSummary {
  const buckets = Object.fromEntries(AGING_BUCKETS.map((b) => [b, 0])) as Record<AgingBucket, number>;
  const rows: ExceptionAging[] = exceptions.map((e) => {
    const ends = e.kind === 'deferral' ? e.expiresAt : e.reviewAt;
    const ageDays = days(asOf.getTime() - e.requestedAt.getTime());
    buckets[agingBucket(ageDays)]++;
    return {
      id: e.id,
      kind: e.kind,
      assets: e.hostnames.length,
      patches: e.patchIds,
      ticketId: e.ticketId,
      endsAt: ends ? ends.toISOString() : null,
      ageDays,
      grantedDays: ends ? days(ends.getTime() - e.approvedAt.getTime()) : null,
      remainingDays: ends ? days(ends.getTime() - asOf.getTime()) : null,
    };
  });
  const granted = rows.map((r) => r.grantedDays).filter((d): d is number => d !== null);
  return {
    active: rows.length,
    deferrals: rows.filter((r) => r.kind === 'deferral').length,
    isolatedLanes: rows.filter((r) => r.kind === 'isolated-lane').length,
    buckets,
    oldestDays: rows.length ? Math.max(...rows.map((r) => r.ageDays)) : null,
    averageGrantedDays: granted.length ? Math.round((10 * granted.reduce((a, b) => a + b, 0)) / granted.length) / 10 : null,
    exceptions: rows.sort((a, b) => b.ageDays - a.ageDays || a.id.localeCompare(b.id)),
  };
}
