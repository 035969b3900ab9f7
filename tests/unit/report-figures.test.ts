import { describe, expect, it } from 'vitest';
import { isAfterHours } from '../../domain/reporting/business-hours';
import { complianceClaim, worstStatus, type AssetStatusGroup } from '../../domain/reporting/compliance';
import { agingBucket } from '../../domain/reporting/deferral-aging';
import { lastFullWeek, monthPeriod, previousMonth } from '../../domain/reporting/period';
import { failureRate } from '../../domain/reporting/remediation';

const group = (over: Partial<AssetStatusGroup>): AssetStatusGroup => ({
  assetClass: 'workstation',
  os: 'windows',
  ephi: false,
  statuses: { critical: 'verified', high: 'none', routine: 'none' },
  assets: 1,
  ...over,
});

describe('report figures', () => {
  it('never lets an exception hide an overdue patch, and never counts an excepted asset as compliant', () => {
    expect(worstStatus(['verified', 'excepted', 'overdue'])).toBe('overdue');
    expect(worstStatus(['verified', 'excepted'])).toBe('excepted');
    const claim = complianceClaim([group({ assets: 3 }), group({ statuses: { critical: 'excepted', high: 'none', routine: 'none' }, assets: 1 })]);
    expect(claim.status === 'claimed' && claim.byTier.find((t) => t.severity === 'critical')).toEqual({ assetClass: 'workstation', severity: 'critical', inScope: 3, verified: 3, withinSla: 0, overdue: 0, excepted: 1, percent: 100 });
  });

  it('withholds every figure while one asset is unclassified', () => {
    expect(complianceClaim([group({ assets: 9 }), group({ assetClass: null })])).toMatchObject({ status: 'blocked', unclassified: 1 });
    expect(complianceClaim([group({ ephi: null, assets: 2 })])).toMatchObject({ status: 'blocked', unclassified: 2 });
  });

  it('periods: months end at the next month, the scheduled run reports the month before', () => {
    expect(monthPeriod('2026-12')).toMatchObject({ start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') });
    expect(() => monthPeriod('2026-13')).toThrow('month must be YYYY-MM');
    expect(previousMonth(new Date('2027-01-01T06:00:00Z'))).toBe('2026-12');
    expect(lastFullWeek(new Date('2026-12-02T09:00:00Z'))).toMatchObject({ label: '2026-W48', start: new Date('2026-11-23T00:00:00Z'), end: new Date('2026-11-30T00:00:00Z') });
  });

  it("after-hours is judged in the client's time zone", () => {
    expect(isAfterHours(new Date('2026-10-20T14:00:00Z'), 'America/New_York')).toBe(false);
    expect(isAfterHours(new Date('2026-10-21T03:00:00Z'), 'America/New_York')).toBe(true);
    expect(isAfterHours(new Date('2026-10-24T15:00:00Z'), 'America/New_York')).toBe(true); // Saturday
  });

  it('aging buckets and the failure-rate threshold', () => {
    expect([0, 30, 31, 60, 61, 90, 91].map(agingBucket)).toEqual(['0-30 d', '0-30 d', '31-60 d', '31-60 d', '61-90 d', '61-90 d', 'over 90 d']);
    expect(failureRate({ attempted: 0, failed: 0, rolledBack: 0 }, 0.1)).toMatchObject({ rate: 0, exceedsThreshold: false });
    expect(failureRate({ attempted: 10, failed: 1, rolledBack: 0 }, 0.1)).toMatchObject({ rate: 0.1, exceedsThreshold: false });
  });
});
