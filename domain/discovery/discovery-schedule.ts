import type { DiscoveryPolicy, RestoreDrillPolicy, Weekday } from '../../config/policy-schema';

// When a client's discovery and restore drills run, as Temporal Schedule calendar specs in the
// client's time zone. Plain data, so workers/ turns it into schedules and tests read it directly.

export type ScheduleWeekday = 'MONDAY' | 'TUESDAY' | 'WEDNESDAY' | 'THURSDAY' | 'FRIDAY' | 'SATURDAY' | 'SUNDAY';

const WEEKDAY: Record<Weekday, ScheduleWeekday> = { mon: 'MONDAY', tue: 'TUESDAY', wed: 'WEDNESDAY', thu: 'THURSDAY', fri: 'FRIDAY', sat: 'SATURDAY', sun: 'SUNDAY' };

export interface CalendarSpec {
  comment: string;
  hour: number;
  minute: number;
  dayOfWeek?: ScheduleWeekday;
  dayOfMonth?: number;
  month?: ('JANUARY' | 'APRIL' | 'JULY' | 'OCTOBER')[];
}

function clock(at: string): { hour: number; minute: number } {
  const [hour, minute] = at.split(':').map(Number);
  return { hour: hour!, minute: minute! };
}

export function discoveryCalendar(policy: DiscoveryPolicy): CalendarSpec {
  const time = clock(policy.at);
  if (policy.every === 'daily') return { comment: `daily, ${policy.at} client time`, ...time };
  return { comment: `weekly on ${policy.day}, ${policy.at} client time`, ...time, dayOfWeek: WEEKDAY[policy.day] };
}

const QUARTER_STARTS = ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'] as const;

export function restoreDrillCalendar(policy: RestoreDrillPolicy): CalendarSpec {
  const time = clock(policy.at);
  if (policy.every === 'weekly') return { comment: `weekly on Sunday, ${policy.at} client time`, ...time, dayOfWeek: 'SUNDAY' };
  if (policy.every === 'monthly') return { comment: `monthly on the 1st, ${policy.at} client time`, ...time, dayOfMonth: 1 };
  return { comment: `quarterly on the 1st, ${policy.at} client time`, ...time, dayOfMonth: 1, month: [...QUARTER_STARTS] };
}

/** The quarterly review of the MSP's software list: 1st of January, April, July and October, 08:00 UTC. */
export const SOFTWARE_REVIEW_CALENDAR: CalendarSpec = { comment: 'quarterly on the 1st, 08:00 UTC', hour: 8, minute: 0, dayOfMonth: 1, month: [...QUARTER_STARTS] };

/** Schedule ids as `patchctl schedule list` shows them (no slashes: the CLI's id pattern). */
export const discoveryScheduleId = (clientId: string) => `discovery-${clientId}`;
export const restoreDrillScheduleId = (clientId: string) => `restore-drill-${clientId}`;
export const SOFTWARE_REVIEW_SCHEDULE_ID = 'software-list-review';
