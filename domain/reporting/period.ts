/** A reporting period: [start, end) in UTC. Every figure of a report is taken as of `end`. */
export interface ReportPeriod {
  /** `2026-10` for a month, `2026-W43` for an ISO week. */
  label: string;
  kind: 'month' | 'week';
  start: Date;
  end: Date;
}

export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function monthPeriod(month: string): ReportPeriod {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new Error(`month must be YYYY-MM, got "${month}"`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { label: month, kind: 'month', start: new Date(Date.UTC(year, index, 1)), end: new Date(Date.UTC(year, index + 1, 1)) };
}

/** The calendar month before the one `at` falls in: what the 1st-of-the-month run reports on. */
export function previousMonth(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The ISO week (Monday to Monday, UTC) that ended last before `at`. */
export function lastFullWeek(at: Date): ReportPeriod {
  const day = (at.getUTCDay() + 6) % 7;
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - day));
  const start = new Date(end.getTime() - 7 * 86_400_000);
  return { label: isoWeekLabel(start), kind: 'week', start, end };
}

function isoWeekLabel(monday: Date): string {
  const thursday = new Date(monday.getTime() + 3 * 86_400_000);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.floor((thursday.getTime() - yearStart) / (7 * 86_400_000)) + 1;
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Late writes (an activity's event stamped just before midnight, committed just after) settle within
 * this margin; a period is final only once its end is that far in the past.
 */
export const PERIOD_CLOSE_MARGIN_MS = 3_600_000;

/** True once nothing recorded later can still belong to the period. */
export function isClosedPeriod(period: ReportPeriod, now: Date): boolean {
  return now.getTime() >= period.end.getTime() + PERIOD_CLOSE_MARGIN_MS;
}
