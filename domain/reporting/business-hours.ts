import type { Weekday } from '../../config/policy-schema';

/** The hours a client's staff work; a patch ticket opened outside them is after-hours work for the MSP. */
export interface BusinessHours {
  days: Weekday[];
  /** 24-hour local times, `08:00`. */
  start: string;
  end: string;
}

/** Until the policy carries each client's own hours: weekdays 08:00–18:00 in the client's zone. */
export const DEFAULT_BUSINESS_HOURS: BusinessHours = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' };

const WEEKDAY_BY_SHORT: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };

export function isAfterHours(at: Date, timezone: string, hours: BusinessHours = DEFAULT_BUSINESS_HOURS): boolean {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAY_BY_SHORT[part('weekday')];
  const clock = `${part('hour')}:${part('minute')}`;
  if (!day || !hours.days.includes(day)) return true;
  return clock < hours.start || clock >= hours.end;
}
